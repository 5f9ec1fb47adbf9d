import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, createDb, dropDatabase, migrateToLatest } from '@outflow/db';
import { startPostgres, type PostgresServer } from '@outflow/stack';
import type { Logger } from '@outflow/telemetry';
import type { ScenarioDatabase } from './fault-environment.js';

export interface ScenarioPostgres {
  server: PostgresServer;
  /** A new migrated database on this server, dropped by its own drop(). */
  createDatabase(): Promise<ScenarioDatabase>;
  stop(): Promise<void>;
}

/** Migrated databases on `adminUrl`'s server, one per call, named after this process. */
function migratedDatabases(adminUrl: string): () => Promise<ScenarioDatabase> {
  let counter = 0;
  return async () => {
    const name = `outflow_faults_${process.pid}_${counter++}`;
    const url = await createDatabase(adminUrl, name);
    const db = createDb({ url, maxConnections: 5 });
    await migrateToLatest(db);
    return {
      url,
      db,
      drop: async () => {
        await db.destroy();
        await dropDatabase(adminUrl, name);
      },
    };
  };
}

/**
 * A PostgreSQL server of the scenario's own (always embedded, never DATABASE_URL): the outage scenario stops
 * it, which must not touch the server other tests share.
 */
export async function startScenarioPostgres(options: {
  logger: Logger;
  databaseUrl?: string | undefined;
  embeddedOnly?: boolean;
  maxConnections?: number;
}): Promise<ScenarioPostgres> {
  const dataDir = await mkdtemp(join(tmpdir(), 'outflow-faults-pg-'));
  const server = await startPostgres({
    logger: options.logger,
    databaseUrl: options.embeddedOnly ? undefined : options.databaseUrl,
    dataDir,
    persistent: false,
    fast: true,
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
  });
  return {
    server,
    createDatabase: migratedDatabases(server.adminUrl),
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
