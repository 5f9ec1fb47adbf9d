import { writeFile } from 'node:fs/promises';
import {
  createDatabase,
  createDb,
  dumpSchema,
  generatedTypesPath,
  migrateToLatest,
  runKyselyCodegen,
  schemaSnapshotPath,
} from '@outflow/db';
import { startInstalledPostgres } from '../installed-postgres.js';

/**
 * Regenerates the two files derived from the migrations: the kysely `DB` type (src/database.generated.ts, by
 * kysely-codegen) and the schema snapshot (schema.sql, by pg_dump). Migrates a scratch database on a throwaway
 * cluster of the installed PostgreSQL, whose pg_dump matches it. Run after adding a migration; tests fail until
 * you do.
 */
async function main(): Promise<void> {
  const server = await startInstalledPostgres();
  try {
    const url = await createDatabase(server.adminUrl, 'outflow_generate');
    const db = createDb({ url, maxConnections: 1 });
    await migrateToLatest(db);
    await db.destroy();
    const types = runKyselyCodegen(url, { verify: false });
    if (!types.ok) throw new Error(types.output);
    process.stdout.write(`wrote ${generatedTypesPath}\n`);
    await writeFile(schemaSnapshotPath, dumpSchema(url, server.pgDump));
    process.stdout.write(`wrote ${schemaSnapshotPath} (PostgreSQL ${server.majorVersion})\n`);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
