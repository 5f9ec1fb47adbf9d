import { createApiKey, type Database } from '@outflow/db';
import {
  startPipeline,
  startTestStack,
  type Pipeline,
  type PostgresServer,
  type SmtpSink,
  type TestStack,
} from '@outflow/stack';

export interface ScenarioDatabase {
  url: string;
  db: Database;
  drop(): Promise<void>;
}

export interface FaultEnvironment {
  stack: TestStack;
  database: ScenarioDatabase;
  pipeline: Pipeline;
  /** The scenario's own PostgreSQL server, for scenarios that stop it. */
  postgres?: PostgresServer;
  /** More SMTP servers a scenario started (e.g. a tarpit); stopped with the environment, counted by the checks. */
  extraSinks: SmtpSink[];
  api: <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<T>;
  close(): Promise<void>;
}

/** Settings that make failures surface in seconds: short leases, quick republish, quick retries. */
const faultServiceEnv: Record<string, string> = {
  PRODUCER_TICK_MS: '100',
  SEND_LEASE_MS: '2000',
  PRODUCER_REPUBLISH_AFTER_MS: '2000',
  PRODUCER_RECOVERY_INTERVAL_MS: '200',
  RETRY_BASE_DELAY_MS: '200',
  RETRY_JITTER: '0.2',
  SMTP_TIMEOUT_MS: '1500',
  SENDER_CONCURRENCY: '4',
  RECONCILE_INTERVAL_MS: '500',
  RECONCILE_AFTER_MS: '3000',
  // The broker's least (group.min.session.timeout.ms): a killed member's partitions move after 6 s, not 30.
  KAFKA_SESSION_TIMEOUT_MS: '6000',
};

/** A fresh broker, registry, SMTP sink and database, and the five services as processes, for one scenario. */
export async function startFaultEnvironment(
  createDatabase: () => Promise<ScenarioDatabase>,
  options: { env?: Record<string, string>; postgres?: PostgresServer; brokerNodes?: 1 | 3 } = {},
): Promise<FaultEnvironment> {
  const { env = {}, postgres } = options;
  // A cluster of its own, which scenarios kill, pause or replace.
  const stack = await startTestStack({ ownBroker: options.brokerNodes ?? 1 });
  const database = await createDatabase();
  const pipeline = await startPipeline({
    databaseUrl: database.url,
    kafkaBrokers: stack.broker.brokers,
    schemaRegistryUrl: stack.registry.url,
    env: { KAFKA_TOPIC_PREFIX: stack.topicPrefix, ...faultServiceEnv, ...env },
  });
  const { key } = await createApiKey(database.db, 'faults');
  const extraSinks: SmtpSink[] = [];
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${pipeline.apiUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as T;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    stack,
    database,
    pipeline,
    ...(postgres ? { postgres } : {}),
    extraSinks,
    api,
    async close() {
      await pipeline.stop();
      await Promise.all(extraSinks.map((sink) => sink.stop()));
      await database.drop();
      await stack.close();
    },
  };
}

/**
 * Mailboxes on the sink (one by default, each in the given time zones in turn) and a sequence of `steps`
 * immediate steps, with `contacts` contacts enrolled.
 */
export async function loadSequence(
  environment: FaultEnvironment,
  options: {
    contacts: number;
    steps: number;
    capacity?: number;
    mailboxes?: number;
    timeZones?: string[];
    /** wait_days of every step after the first (the first is always immediate). Default 0. */
    waitDays?: number;
    recipient?: (index: number) => string;
    /** The SMTP server the mailboxes send to. Default the stack's sink. */
    smtp?: SmtpSink;
  },
): Promise<string> {
  const mailboxIds: string[] = [];
  for (let index = 0; index < (options.mailboxes ?? 1); index++) {
    const mailbox = await environment.api<{ id: string }>('POST', '/mailboxes', {
      email: `sender-${Date.now()}-${Math.random().toString(36).slice(2)}@outflow.test`,
      smtp_host: (options.smtp ?? environment.stack.smtp).host,
      smtp_port: (options.smtp ?? environment.stack.smtp).port,
      daily_capacity: options.capacity ?? 1_000_000,
      time_zone: options.timeZones?.[index % options.timeZones.length] ?? 'UTC',
    });
    mailboxIds.push(mailbox.id);
  }
  const sequence = await environment.api<{ id: string }>('POST', '/sequences', {
    name: 'fault scenario',
    mailbox_ids: mailboxIds,
    steps: Array.from({ length: options.steps }, (_, index) => ({
      subject: `Step ${index + 1}`,
      content: 'Hello',
      wait_days: index === 0 ? 0 : (options.waitDays ?? 0),
    })),
  });
  const recipient = options.recipient ?? ((index: number) => `r${index}-${sequence.id.slice(0, 8)}@example.com`);
  for (let start = 0; start < options.contacts; start += 1_000) {
    const contacts = Array.from({ length: Math.min(1_000, options.contacts - start) }, (_, offset) => ({
      email: recipient(start + offset),
    }));
    await environment.api('POST', `/sequences/${sequence.id}/contacts`, { contacts });
  }
  return sequence.id;
}
