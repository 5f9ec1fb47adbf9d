import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, createDb, dropDatabase, migrateToLatest } from '@outflow/db';
import { createLogger } from '@outflow/telemetry';
import { ensureMockBrokerBinary } from '../mock-broker.js';
import { startPostgres, type PostgresServer } from '../postgres.js';

declare global {
  var __outflowTestPostgres: { server: PostgresServer; templateDb: string } | undefined;
}

/**
 * Runs once per jest run: builds (or finds) the mock broker binary, starts one PostgreSQL (DATABASE_URL when
 * reachable, else embedded) and migrates a template database that each test file copies.
 */
export default async function globalSetup(): Promise<void> {
  const logger = createLogger({
    service: 'jest-global-setup',
    level: process.env['OUTFLOW_TEST_LOG_LEVEL'] === 'debug' ? 'debug' : 'warn',
  });
  process.env['OUTFLOW_MOCK_BROKER_BIN'] = ensureMockBrokerBinary();

  const server = await startPostgres({
    logger,
    databaseUrl: process.env['DATABASE_URL'],
    dataDir: await mkdtemp(join(tmpdir(), 'outflow-test-pg-')),
    persistent: false,
    fast: true,
  });
  const templateDb = `outflow_template_${process.pid}`;
  await dropDatabase(server.adminUrl, templateDb);
  const db = createDb({ url: await createDatabase(server.adminUrl, templateDb), maxConnections: 1 });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }

  process.env['OUTFLOW_TEST_ADMIN_URL'] = server.adminUrl;
  process.env['OUTFLOW_TEST_TEMPLATE_DB'] = templateDb;
  globalThis.__outflowTestPostgres = { server, templateDb };
}
