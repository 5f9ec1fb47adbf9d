import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '../repo-root.js';

/** The Node.js version the image runs: the Dockerfile's `ARG NODE_VERSION=x.y.z`, which both its stages use. */
export function imageNodeVersion(root: string = findRepoRoot()): string {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const version = /^ARG NODE_VERSION=(\d+\.\d+\.\d+)\s*$/m.exec(dockerfile)?.[1];
  if (!version) throw new Error('the Dockerfile declares no ARG NODE_VERSION=<major.minor.patch>');
  return version;
}

/**
 * The `node` executable of a given version for this platform, so the production output can be run on the image's
 * Node.js where the machine's is older. The npm registry carries Node.js builds as packages
 * (`node-<platform>-<arch>`, the ones the `node` package installs): fetched once with `npm pack`, then cached
 * under the checkout's .cache/node.
 */
export function nodeExecutable(version: string, root: string = findRepoRoot()): string {
  const folder = join(root, '.cache', 'node', `${version}-${process.platform}-${process.arch}`);
  const executable = join(folder, 'bin', 'node');
  if (existsSync(executable)) return executable;
  mkdirSync(join(root, '.cache', 'node'), { recursive: true });
  // Unpacked beside the final folder and renamed into place: a concurrent or interrupted fetch never leaves half.
  const staging = mkdtempSync(`${folder}.partial-`);
  try {
    const packageSpec = `node-${process.platform}-${process.arch}@${version}`;
    const pack = spawnSync('npm', ['pack', packageSpec, '--silent', '--pack-destination', staging], {
      encoding: 'utf8',
    });
    const tarball = pack.stdout.trim().split('\n').pop();
    if (pack.status !== 0 || !tarball) {
      throw new Error(`npm pack ${packageSpec} failed (exit ${String(pack.status)}): ${pack.stderr}`);
    }
    const unpacked = join(staging, 'node');
    mkdirSync(unpacked);
    const untar = spawnSync('tar', ['-xzf', join(staging, tarball), '--strip-components=1', '-C', unpacked], {
      encoding: 'utf8',
    });
    if (untar.status !== 0) throw new Error(`unpacking ${tarball} failed: ${untar.stderr}`);
    try {
      renameSync(unpacked, folder);
    } catch (error) {
      if (!existsSync(executable)) throw error; // else another fetch finished first
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return executable;
}
