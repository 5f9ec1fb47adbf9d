#!/usr/bin/env node
// Makes a fresh checkout runnable with nothing but Node 20, a JDK (17+) and Maven:
//   1. dependencies: `pnpm install --frozen-lockfile` (pnpm itself comes from npm via npx the first time, then
//      from node_modules/.bin, where the root package pins it) when node_modules is missing or older than the
//      lockfile;
//   2. Apache Kafka's jars for the local stack and the tests (fetched by Maven once per checkout, ~20 s, then
//      cached under .cache/kafka; offline afterwards).
// Cheap when everything is in place, so every entry point (`npm test`, `npm run stack`, ...) runs it first.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.replace(/^pnpm@/, '');

function run(command, args, what) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`bootstrap: ${what} failed (${command} ${args.join(' ')})\n`);
    process.exit(result.status ?? 1);
  }
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`bootstrap: Node ${process.versions.node} is too old; Outflow needs Node >= 20.19\n`);
  process.exit(1);
}

const marker = join(root, 'node_modules', '.modules.yaml');
const lockfile = join(root, 'pnpm-lock.yaml');
const stale = !existsSync(marker) || statSync(lockfile).mtimeMs > statSync(marker).mtimeMs;
if (stale) {
  const localPnpm = join(root, 'node_modules', '.bin', 'pnpm');
  if (existsSync(localPnpm)) run(localPnpm, ['install', '--frozen-lockfile'], 'installing dependencies');
  else run('npx', ['--yes', `pnpm@${pinned}`, 'install', '--frozen-lockfile'], 'installing dependencies');
}

run('bash', [join(root, 'tools', 'kafka-broker', 'fetch.sh')], 'fetching Apache Kafka');
