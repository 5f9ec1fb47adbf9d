import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The committed output of kysely-codegen: the kysely `DB` type, generated from the migrated schema. */
export const generatedTypesPath = fileURLToPath(new URL('./database.generated.ts', import.meta.url));

/**
 * Runs kysely-codegen against a migrated database. With `verify`, it exits non-zero when the committed file
 * differs from what the schema generates, which is how a test catches migrations and types drifting apart.
 */
export function runKyselyCodegen(url: string, options: { verify: boolean }): { ok: boolean; output: string } {
  const result = spawnSync(
    process.execPath,
    [
      kyselyCodegenBin(),
      '--dialect',
      'postgres',
      '--url',
      url,
      '--exclude-pattern',
      'kysely_*',
      '--date-parser',
      'string',
      '--out-file',
      generatedTypesPath,
      ...(options.verify ? ['--verify'] : []),
    ],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' },
  );
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** The kysely-codegen CLI of this package's dev dependencies, run with this Node.js: no pnpm on PATH needed. */
function kyselyCodegenBin(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('kysely-codegen/package.json');
  const manifest = require(manifestPath) as { bin: Record<string, string> };
  const bin = manifest.bin['kysely-codegen'];
  if (!bin) throw new Error(`kysely-codegen at ${manifestPath} declares no kysely-codegen command`);
  return join(dirname(manifestPath), bin);
}
