import { resolve } from 'node:path';
import { assembleRuntime } from '../runtime-image/assemble-runtime.js';

const usage = `usage: npm run assemble-runtime -- <out-dir> [--online]
Assembles what the production image runs (the Dockerfile's build stage does this) from a built workspace
(tsc -b): built output and production dependencies, into an empty <out-dir>. --online lets pnpm download
packages missing from its store (by default it installs from the store only).`;

const args = process.argv.slice(2);
const outDir = args.find((arg) => !arg.startsWith('-'));
if (!outDir || args.includes('--help') || args.some((arg) => arg.startsWith('-') && arg !== '--online')) {
  process.stderr.write(`${usage}\n`);
  process.exit(outDir || args.includes('--help') ? 0 : 2);
}
try {
  const assembled = assembleRuntime({ outDir: resolve(outDir), offline: !args.includes('--online') });
  process.stdout.write(`assembled ${assembled.projects.join(', ')} into ${resolve(outDir)}\n`);
} catch (error) {
  process.stderr.write(`assemble-runtime: ${(error as Error).message}\n`);
  process.exit(1);
}
