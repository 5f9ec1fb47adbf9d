import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The committed output of kysely-codegen: the kysely `DB` type, generated from the migrated schema. */
export const generatedTypesPath = fileURLToPath(new URL('./database.generated.ts', import.meta.url));

/**
 * Runs kysely-codegen against a migrated database. With `verify`, it exits non-zero when the committed file
 * differs from what the schema generates, which is how a test catches migrations and types drifting apart.
 */
export function runKyselyCodegen(url: string, options: { verify: boolean }): { ok: boolean; output: string } {
  const result = spawnSync(
    'pnpm',
    [
      'exec',
      'kysely-codegen',
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
