import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDatabase, createDb, migrateToLatest } from '@outflow/db';
import type { Stopper } from '@outflow/runtime';
import type { Logger } from '@outflow/telemetry';
import { startMailViewer } from './mail-viewer.js';
import { startMockBroker } from './mock-broker.js';
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
  /** Called if a part dies on its own (e.g. the mock broker crashed). */
  onFailure: (reason: string) => void;
}

/** Where everything listens: written to stack.json and, as shell exports, stack.env. */
export interface StackEndpoints {
  databaseUrl: string;
  kafkaBrokers: string[];
  kafkaDevBroker: boolean;
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
    `KAFKA_DEV_BROKER=${endpoints.kafkaDevBroker}`,
    `SCHEMA_REGISTRY_URL=${endpoints.schemaRegistryUrl}`,
    `STACK_SMTP_HOST=${endpoints.smtp.host}`,
    `STACK_SMTP_PORT=${endpoints.smtp.port}`,
    `STACK_MAIL_VIEWER_URL=${endpoints.mailViewerUrl}`,
    '',
  ].join('\n');
}

/**
 * Brings up the local stack from the project's own files: PostgreSQL (DATABASE_URL when reachable, else
 * embedded, migrated), a Kafka-protocol broker (KAFKA_BROKERS, else the mock cluster with the product topics),
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
    if (!kafkaBrokers) {
      const broker = await startMockBroker({ topics: productTopics(), onCrash: options.onFailure });
      stoppers.push({ name: 'mock-broker', stop: () => broker.stop() });
      kafkaBrokers = broker.brokers;
      brokerPid = broker.pid;
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
      kafkaDevBroker: brokerPid !== null,
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
