import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDatabase, createDb, migrateToLatest } from '@outflow/db';
import type { Stopper } from '@outflow/runtime';
import type { Logger } from '@outflow/telemetry';
import { startMailViewer } from './mail-viewer.js';
import { startKafkaCluster } from './kafka/kafka-cluster.js';
import { startPostgres } from './postgres.js';
import { startSchemaRegistry } from './schema-registry-server.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';
import { productTopics } from './testing/test-stack.js';

export interface StackOptions {
  logger: Logger;
  /** Where the embedded PostgreSQL keeps its data and where stack.json / stack.env are written. */
  stateDir: string;
  /** Use these instead of starting our own (each optional). */
  databaseUrl?: string | undefined;
  kafkaBrokers?: string[] | undefined;
  schemaRegistryUrl?: string | undefined;
  /** Preferred ports; a busy one falls back to a free port. */
  smtpPort: number;
  mailViewerPort: number;
  registryPort: number;
  /** Called if a part dies on its own (e.g. the Kafka node crashed). */
  onFailure: (reason: string) => void;
}

/** Where everything listens: written to stack.json and, as shell exports, stack.env. */
export interface StackEndpoints {
  databaseUrl: string;
  kafkaBrokers: string[];
  /** Apache Kafka's version when the stack started its own node; null with KAFKA_BROKERS. */
  kafkaVersion: string | null;
  schemaRegistryUrl: string;
  smtp: { host: string; port: number };
  mailViewerUrl: string;
  /** Processes we started, so tools and tests can check that nothing outlives the stack. */
  pids: { stack: number; broker: number | null };
}

export interface Stack {
  endpoints: StackEndpoints;
  smtp: SmtpSink;
  /** In stop order. */
  stoppers: Stopper[];
}

async function withFallbackPort<T>(preferred: number, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(preferred);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return start(0);
  }
}

export function stackEnvFile(endpoints: StackEndpoints): string {
  return [
    '# Written by `pnpm stack`; load with: set -a; . .outflow/stack.env; set +a',
    `DATABASE_URL=${endpoints.databaseUrl}`,
    `KAFKA_BROKERS=${endpoints.kafkaBrokers.join(',')}`,
    `SCHEMA_REGISTRY_URL=${endpoints.schemaRegistryUrl}`,
    `STACK_SMTP_HOST=${endpoints.smtp.host}`,
    `STACK_SMTP_PORT=${endpoints.smtp.port}`,
    `STACK_MAIL_VIEWER_URL=${endpoints.mailViewerUrl}`,
    '',
  ].join('\n');
}

/**
 * Brings up the local stack from the project's own files: PostgreSQL (DATABASE_URL when reachable, else
 * embedded, migrated), Kafka (KAFKA_BROKERS, else a single Apache Kafka node in KRaft mode with the product
 * topics, its data in a temporary folder),
 * a schema registry (SCHEMA_REGISTRY_URL, else in-process), and an SMTP sink with a web page. Everything we
 * start listens on 127.0.0.1 only.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger } = options;
  const stoppers: Stopper[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stopper of [...stoppers].reverse()) await stopper.stop().catch(() => undefined);
  };
  try {
    await mkdir(options.stateDir, { recursive: true });

    const postgres = await startPostgres({
      logger,
      databaseUrl: options.databaseUrl,
      dataDir: join(options.stateDir, 'postgres'),
      persistent: true,
    });
    stoppers.push({ name: 'postgres', stop: () => postgres.stop() });
    let databaseUrl = postgres.adminUrl;
    if (postgres.embedded) {
      databaseUrl = await createDatabase(postgres.adminUrl, 'outflow', { ifMissing: true });
    }
    const db = createDb({ url: databaseUrl, maxConnections: 1, applicationName: 'outflow-stack' });
    try {
      const applied = await migrateToLatest(db);
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    } finally {
      await db.destroy();
    }

    let kafkaBrokers = options.kafkaBrokers;
    let brokerPid: number | null = null;
    let kafkaVersion: string | null = null;
    if (!kafkaBrokers) {
      const cluster = await startKafkaCluster({ topics: productTopics(), onCrash: options.onFailure });
      stoppers.push({ name: 'kafka', stop: () => cluster.stop() });
      kafkaBrokers = cluster.brokers;
      brokerPid = cluster.nodes[0]?.pid ?? null;
      kafkaVersion = cluster.version;
    }

    let schemaRegistryUrl = options.schemaRegistryUrl;
    if (!schemaRegistryUrl) {
      const registry = await withFallbackPort(options.registryPort, (port) => startSchemaRegistry({ port }));
      stoppers.push({ name: 'schema-registry', stop: () => registry.stop() });
      schemaRegistryUrl = registry.url;
    }

    const smtp = await withFallbackPort(options.smtpPort, (port) => startSmtpSink({ port }));
    stoppers.push({ name: 'smtp-sink', stop: () => smtp.stop() });
    const viewer = await withFallbackPort(options.mailViewerPort, (port) => startMailViewer({ sink: smtp, port }));
    stoppers.push({ name: 'mail-viewer', stop: () => viewer.stop() });

    const endpoints: StackEndpoints = {
      databaseUrl,
      kafkaBrokers,
      kafkaVersion,
      schemaRegistryUrl,
      smtp: { host: smtp.host, port: smtp.port },
      mailViewerUrl: viewer.url,
      pids: { stack: process.pid, broker: brokerPid },
    };
    const jsonPath = join(options.stateDir, 'stack.json');
    const envPath = join(options.stateDir, 'stack.env');
    await writeFile(jsonPath, `${JSON.stringify(endpoints, null, 2)}\n`);
    await writeFile(envPath, stackEnvFile(endpoints));
    stoppers.push({
      name: 'state-files',
      stop: async () => {
        await rm(jsonPath, { force: true });
        await rm(envPath, { force: true });
      },
    });
    return { endpoints, smtp, stoppers: [...stoppers].reverse() };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
