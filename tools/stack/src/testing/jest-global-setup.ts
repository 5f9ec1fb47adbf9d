import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, createDb, dropDatabase, migrateToLatest } from '@outflow/db';
import { createLogger } from '@outflow/telemetry';
import { startKafkaCluster, type KafkaCluster } from '../kafka/kafka-cluster.js';
import { startPostgres, type PostgresServer } from '../postgres.js';
import { sharedTestBrokersVariable } from './test-stack.js';

declare global {
  var __outflowTestPostgres: { server: PostgresServer; templateDb: string } | undefined;
  var __outflowTestKafka: KafkaCluster | undefined;
}

/**
 * Runs once per jest run: starts one Apache Kafka node that every test file shares (each under its own topic and
 * group prefix; tests that kill or replace a broker start their own), and one PostgreSQL (DATABASE_URL when
 * reachable, else embedded) with a migrated template database that each test file copies.
 */
export default async function globalSetup(): Promise<void> {
  const logger = createLogger({
    service: 'jest-global-setup',
    level: process.env['OUTFLOW_TEST_LOG_LEVEL'] === 'debug' ? 'debug' : 'warn',
  });
  const kafka = startKafkaCluster({
    onCrash: (reason) => logger.error(`the shared test Kafka node died; the tests that use it will fail: ${reason}`),
  });
  const postgres = (async () => {
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
    return { server, templateDb };
  })();
  const [kafkaResult, postgresResult] = await Promise.allSettled([kafka, postgres]);
  if (kafkaResult.status === 'fulfilled') globalThis.__outflowTestKafka = kafkaResult.value;
  if (postgresResult.status === 'fulfilled') globalThis.__outflowTestPostgres = postgresResult.value;
  if (kafkaResult.status === 'rejected' || postgresResult.status === 'rejected') {
    await globalThis.__outflowTestKafka?.stop();
    await globalThis.__outflowTestPostgres?.server.stop();
    throw kafkaResult.status === 'rejected' ? kafkaResult.reason : (postgresResult as PromiseRejectedResult).reason;
  }

  process.env[sharedTestBrokersVariable] = kafkaResult.value.brokers.join(',');
  process.env['OUTFLOW_TEST_ADMIN_URL'] = postgresResult.value.server.adminUrl;
  process.env['OUTFLOW_TEST_TEMPLATE_DB'] = postgresResult.value.templateDb;
}
