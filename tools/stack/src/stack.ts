import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDatabase, createDb, migrateToLatest } from '@outflow/db';
import type { Stopper } from '@outflow/runtime';
import type { Logger } from '@outflow/telemetry';
import { preferredOrFreePort } from './free-port.js';
import { dovecotInstalled, startImapServer, type ImapServer } from './imap-server.js';
import { startMailViewer } from './mail-viewer.js';
import { startKafkaCluster } from './kafka/kafka-cluster.js';
import { startPostgres } from './postgres.js';
import { startSchemaRegistry } from './schema-registry-server.js';
import { newSecretKeys } from './services.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';
import { productTopics } from './testing/test-stack.js';
import { startZipkin, type ZipkinServer } from './zipkin.js';

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
  /** Zipkin's preferred port, or null for no trace backend (the services then do not trace). */
  zipkinPort: number | null;
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
  /** Dovecot, for mailboxes' inboxes (the inbox reader); null where Dovecot is not installed. */
  imap: { host: string; port: number } | null;
  mailViewerUrl: string;
  /** Zipkin's UI and API (one trace: `<url>/zipkin/traces/<trace id>`); null without a trace backend. */
  zipkinUrl: string | null;
  /** Processes we started, so tools and tests can check that nothing outlives the stack. */
  pids: { stack: number; broker: number | null; zipkin: number | null };
}

export interface Stack {
  endpoints: StackEndpoints;
  /** OUTFLOW_SECRET_KEYS for services on this stack (kept in the state folder). */
  secretKeys: string;
  /** The tracing variables for services on this stack: their spans go to its Zipkin (none without one). */
  tracingEnv: Record<string, string>;
  smtp: SmtpSink;
  imap: ImapServer | null;
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

/**
 * stack.env: every variable a service needs to start against this stack, as shell assignments. Each service also
 * wants its own DATABASE_ROLE (see the comment in the file) and, to run beside others, its defaults for ports.
 */
function stackEnvFile(endpoints: StackEndpoints, secretKeys: string, tracingEnv: Record<string, string>): string {
  return [
    '# Written by `npm run stack`; load with: set -a; . .outflow/stack.env; set +a',
    '# Then start a service with its role, e.g.: DATABASE_ROLE=outflow_sender npm run service smtp-sender',
    '# (roles: outflow_api, outflow_producer, outflow_sender, outflow_scheduler, outflow_retry)',
    `DATABASE_URL=${endpoints.databaseUrl}`,
    `KAFKA_BROKERS=${endpoints.kafkaBrokers.join(',')}`,
    `SCHEMA_REGISTRY_URL=${endpoints.schemaRegistryUrl}`,
    '# Kept in .outflow/secret-keys across runs, so stored SMTP passwords stay readable.',
    `OUTFLOW_SECRET_KEYS=${secretKeys}`,
    "# The stack's SMTP sink is on this machine and offers no TLS: development mode allows it.",
    'OUTFLOW_MODE=development',
    '# Seconds in a day; lower it (the demo uses 5) to watch follow-ups arrive. Every service must agree.',
    'OUTFLOW_DAY_SECONDS=86400',
    `STACK_SMTP_HOST=${endpoints.smtp.host}`,
    `STACK_SMTP_PORT=${endpoints.smtp.port}`,
    `STACK_MAIL_VIEWER_URL=${endpoints.mailViewerUrl}`,
    ...(endpoints.imap ? [`STACK_IMAP_HOST=${endpoints.imap.host}`, `STACK_IMAP_PORT=${endpoints.imap.port}`] : []),
    ...(endpoints.zipkinUrl
      ? [
          `# Traces go to the stack's Zipkin: ${endpoints.zipkinUrl}`,
          ...Object.entries(tracingEnv).map(([k, v]) => `${k}=${v}`),
        ]
      : []),
    '',
  ].join('\n');
}

/** The local stack's OUTFLOW_SECRET_KEYS: made once per state folder, then read back on every start. */
async function localSecretKeys(stateDir: string): Promise<string> {
  const keyFile = join(stateDir, 'secret-keys');
  const read = async (path: string): Promise<string | undefined> => {
    try {
      return (await readFile(path, 'utf8')).trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return undefined;
    }
  };
  const existing = await read(keyFile);
  if (existing) return existing;
  // Earlier versions kept the demo's key in demo-secret-keys: its mailboxes' passwords stay readable.
  const keys = (await read(join(stateDir, 'demo-secret-keys'))) ?? newSecretKeys('local');
  await writeFile(keyFile, `${keys}\n`, { mode: 0o600, flag: 'wx' });
  return keys;
}

/**
 * Brings up the local stack from the project's own files: PostgreSQL (DATABASE_URL when reachable, else
 * embedded, migrated), Kafka (KAFKA_BROKERS, else a single Apache Kafka node in KRaft mode with the product
 * topics, its data in a temporary folder),
 * a schema registry (SCHEMA_REGISTRY_URL, else in-process), an SMTP sink with a web page, Dovecot for inboxes
 * (where installed), and Zipkin for the
 * services' traces (unless zipkinPort is null). Everything we start listens on 127.0.0.1 only.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger } = options;
  const stoppers: Stopper[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stopper of [...stoppers].reverse()) await stopper.stop().catch(() => undefined);
  };
  // Zipkin takes the longest to start (a JVM, ~10-30 s): it starts first and the rest comes up meanwhile.
  let zipkin: Promise<ZipkinServer> | undefined;
  try {
    await mkdir(options.stateDir, { recursive: true });
    if (options.zipkinPort !== null) {
      zipkin = preferredOrFreePort(options.zipkinPort).then((port) => startZipkin({ port }));
      // Held until awaited below; a failure before then still stops the stack.
      zipkin.catch(() => undefined);
    }

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
    // Inboxes for the demo's replies: Dovecot from the machine's packages, left out (with a word) where missing.
    let imap: ImapServer | null = null;
    if (dovecotInstalled()) {
      imap = await startImapServer();
      const started = imap;
      stoppers.push({ name: 'imap', stop: () => started.stop() });
    } else {
      logger.warn('no Dovecot here (Debian: apt-get install dovecot-imapd): the stack runs without an IMAP server');
    }

    let zipkinUrl: string | null = null;
    let zipkinPid: number | null = null;
    const tracingEnv: Record<string, string> = {};
    if (zipkin) {
      const server = await zipkin;
      stoppers.push({ name: 'zipkin', stop: () => server.stop() });
      zipkinUrl = server.url;
      zipkinPid = server.pid;
      Object.assign(tracingEnv, { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: server.spansUrl });
    }

    const endpoints: StackEndpoints = {
      databaseUrl,
      kafkaBrokers,
      kafkaVersion,
      schemaRegistryUrl,
      smtp: { host: smtp.host, port: smtp.port },
      imap: imap ? { host: imap.host, port: imap.port } : null,
      mailViewerUrl: viewer.url,
      zipkinUrl,
      pids: { stack: process.pid, broker: brokerPid, zipkin: zipkinPid },
    };
    const jsonPath = join(options.stateDir, 'stack.json');
    const envPath = join(options.stateDir, 'stack.env');
    await writeFile(jsonPath, `${JSON.stringify(endpoints, null, 2)}\n`);
    const secretKeys = await localSecretKeys(options.stateDir);
    await writeFile(envPath, stackEnvFile(endpoints, secretKeys, tracingEnv));
    stoppers.push({
      name: 'state-files',
      stop: async () => {
        await rm(jsonPath, { force: true });
        await rm(envPath, { force: true });
      },
    });
    return { endpoints, secretKeys, tracingEnv, smtp, imap, stoppers: [...stoppers].reverse() };
  } catch (error) {
    // A Zipkin still starting is stopped once it is up (its start fails on its own if it never comes up).
    if (zipkin && !stoppers.some((stopper) => stopper.name === 'zipkin')) {
      await zipkin.then((server) => server.stop()).catch(() => undefined);
    }
    await stopAll();
    throw error;
  }
}
