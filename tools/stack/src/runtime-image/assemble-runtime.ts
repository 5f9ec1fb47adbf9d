import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { findRepoRoot } from '../repo-root.js';
import { assertNoDevProjects, runtimeProjects, type WorkspaceProject } from './runtime-projects.js';

export interface AssembleRuntimeOptions {
  /** An empty or missing folder: it receives the tree the image's last stage copies to /app. */
  outDir: string;
  /** The workspace, built (`tsc -b`). Default: this checkout. */
  root?: string;
  /** Installs from pnpm's store only (its packages are there after the workspace's own install). Default true. */
  offline?: boolean;
}

export interface AssembledRuntime {
  /** The workspace projects it holds, relative to outDir. */
  projects: string[];
}

interface Manifest {
  name?: string;
  dependencies?: Record<string, string>;
  bin?: string | Record<string, string>;
}

/**
 * The production tree the image runs, assembled from a built workspace: every project's manifest, the lockfile,
 * the built JavaScript of the projects the image runs (no sources, tests, declarations or source maps) and their
 * production dependencies, installed by pnpm from the lockfile as it stands (--frozen-lockfile). The Dockerfile's
 * build stage runs it, and a test runs it too and starts the services from its output, so what the image would run
 * is exercised on machines without Docker.
 *
 * The other projects' manifests are copied only for the install (a frozen lockfile must match the whole
 * workspace) and removed after it.
 */
export function assembleRuntime(options: AssembleRuntimeOptions): AssembledRuntime {
  const root = options.root ?? findRepoRoot();
  const { outDir } = options;
  if (existsSync(outDir) && readdirSync(outDir).length > 0) throw new Error(`${outDir} is not empty`);
  const projects = listWorkspaceProjects(root);
  const selected = runtimeProjects(projects);
  assertNoDevProjects(selected);

  mkdirSync(outDir, { recursive: true });
  for (const file of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml']) {
    cpSync(join(root, file), join(outDir, file));
  }
  // pnpm applies patchedDependencies at install: the patch files must be there.
  if (existsSync(join(root, 'patches'))) cpSync(join(root, 'patches'), join(outDir, 'patches'), { recursive: true });
  for (const project of projects.filter((project) => project.dir !== '')) {
    mkdirSync(join(outDir, project.dir), { recursive: true });
    cpSync(join(root, project.dir, 'package.json'), join(outDir, project.dir, 'package.json'));
  }
  for (const project of selected) {
    copyBuiltOutput(join(root, project.dir), join(outDir, project.dir));
    // Commands run by name (the image links the CLI as `outflow`): executable, with their #!/usr/bin/env node.
    for (const bin of project.bin ?? []) chmodSync(join(outDir, project.dir, bin), 0o755);
  }

  installProductionDependencies(root, outDir, selected, options.offline ?? true);

  const kept = new Set(selected.map((project) => project.dir));
  for (const project of projects) {
    if (project.dir !== '' && !kept.has(project.dir)) rmSync(join(outDir, project.dir), { recursive: true });
  }
  return { projects: selected.map((project) => project.dir) };
}

/** Every project of the workspace as pnpm sees it (the root included, as dir ''), with its run-time dependencies. */
function listWorkspaceProjects(root: string): WorkspaceProject[] {
  const listed = JSON.parse(runPnpm(root, root, ['ls', '--recursive', '--depth', '-1', '--json'])) as Array<{
    name: string;
    path: string;
  }>;
  const names = new Set(listed.map((project) => project.name));
  return listed.map((project) => {
    const manifest = JSON.parse(readFileSync(join(project.path, 'package.json'), 'utf8')) as Manifest;
    const bin = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
    return {
      name: project.name,
      dir: relative(root, project.path).split(sep).join('/'),
      workspaceDependencies: Object.keys(manifest.dependencies ?? {}).filter((name) => names.has(name)),
      bin,
    };
  });
}

/** dist/src's JavaScript, without tests, test helpers (`testing/` folders), declarations or source maps. */
function copyBuiltOutput(projectDir: string, targetDir: string): void {
  const built = join(projectDir, 'dist', 'src');
  if (!existsSync(built)) throw new Error(`${built} is missing: build the workspace first (tsc -b)`);
  cpSync(built, join(targetDir, 'dist', 'src'), {
    recursive: true,
    filter: (source) => {
      const name = source.slice(source.lastIndexOf(sep) + 1);
      if (name === 'testing') return false;
      if (!name.includes('.')) return true; // a folder
      return name.endsWith('.js') && !name.endsWith('.test.js');
    },
  });
}

function installProductionDependencies(
  root: string,
  outDir: string,
  selected: readonly WorkspaceProject[],
  offline: boolean,
): void {
  const filters = selected.flatMap((project) => ['--filter', `./${project.dir}`]);
  runPnpm(root, outDir, [
    'install',
    '--prod',
    '--frozen-lockfile',
    // No install scripts run in the image: none of its production dependencies needs one.
    '--ignore-scripts',
    ...(offline ? ['--offline'] : []),
    ...filters,
  ]);
}

/** The workspace's own pnpm (a root devDependency pinned by packageManager), with this Node.js. */
function runPnpm(root: string, cwd: string, args: string[]): string {
  const pnpm = join(root, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
  const result = spawnSync(process.execPath, [pnpm, ...args], {
    cwd,
    encoding: 'utf8',
    // CI=true: never a prompt (pnpm asks before replacing a node_modules it did not make).
    env: { ...process.env, CI: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`pnpm ${args.join(' ')} failed in ${cwd} (exit ${String(result.status)}):\n${result.stderr}`);
  }
  return result.stdout;
}
