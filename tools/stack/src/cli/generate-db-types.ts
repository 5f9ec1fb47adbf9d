import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@outflow/telemetry';
import { createDatabase, createDb, generatedTypesPath, migrateToLatest, runKyselyCodegen } from '@outflow/db';
import { startPostgres } from '../postgres.js';

/**
 * Regenerates src/database.generated.ts from the migrations: migrates a scratch database on a throwaway
 * embedded PostgreSQL, then runs kysely-codegen. Run after adding a migration; a test fails until you do.
 */
async function main(): Promise<void> {
  const logger = createLogger({ service: 'db-types', level: 'warn' });
  const dataDir = await mkdtemp(join(tmpdir(), 'outflow-types-pg-'));
  const server = await startPostgres({ logger, dataDir, persistent: false, fast: true });
  try {
    const url = await createDatabase(server.adminUrl, 'outflow_types');
    const db = createDb({ url, maxConnections: 1 });
    await migrateToLatest(db);
    await db.destroy();
    const result = runKyselyCodegen(url, { verify: false });
    if (!result.ok) throw new Error(result.output);
    process.stdout.write(`wrote ${generatedTypesPath}\n`);
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
