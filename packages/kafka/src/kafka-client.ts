import {
  Kafka,
  logLevel as KafkaLogLevel,
  type Admin,
  type ConsumerConfig,
  type KafkaConfig,
  type LogEntry,
} from 'kafkajs';
import { physicalTopic, type TopicName } from '@outflow/contracts';
import type { Logger } from '@outflow/telemetry';

export interface CreateKafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /**
   * Prepended to every topic name and consumer group id, so environments (or test files) that share one cluster
   * neither read each other's messages nor join each other's groups. Default ''.
   */
  namePrefix?: string;
  /**
   * How long a consumer may go without a heartbeat before the group gives its partitions to another member (a
   * crashed or frozen member's partitions wait this long). Default 30 000 ms; the broker accepts 6 000 to
   * 300 000 by default (group.min/max.session.timeout.ms).
   */
  sessionTimeoutMs?: number;
  /** A fetch waits at the broker until this many bytes are ready, or `fetchMaxWaitMs`. Default 1. */
  fetchMinBytes?: number;
  /** The longest a fetch waits at the broker. Default 1 000 ms. */
  fetchMaxWaitMs?: number;
  /** How long a connection attempt may take before the broker is reported unreachable. Default 3 000 ms. */
  connectionTimeoutMs?: number;
}

export interface KafkaHandle {
  kafka: Kafka;
  /** The prefix of this handle's topics and groups ('' for none). */
  namePrefix: string;
  /** The name of a product topic on the cluster (with the prefix). */
  topic(name: TopicName): string;
  /** The id of a consumer group on the cluster (with the prefix). */
  group(id: string): string;
  /** Consumer settings for a group (`groupId` is the logical id: the prefix is added here). */
  consumerConfig(groupId: string, overrides?: Partial<ConsumerConfig>): ConsumerConfig;
}

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

// A group coordinator that is still loading or moving: normal while a cluster starts or fails over, and kafkajs
// asks again on its own (a consumer that crashed on it is restarted; the consumer loop logs that as a warning).
const coordinatorSettling = /coordinator is (not available|loading)|not the correct coordinator/i;

/**
 * The level we log a kafkajs entry at. kafkajs logs as errors what it then retries itself (a coordinator still
 * loading on a new cluster, the consumer restarting after such an error): those are warnings, so an error line
 * in our logs means something needs a person.
 */
export function kafkaLogLevel(level: number, entry: Record<string, unknown>): 'error' | 'warn' | 'info' | 'debug' {
  const mapped = levels[level] ?? 'info';
  if (mapped !== 'error') return mapped;
  const said = `${String(entry['error'] ?? '')} ${String(entry['message'] ?? '')}`;
  const retried = typeof entry['retryTime'] === 'number' || coordinatorSettling.test(said);
  return retried ? 'warn' : 'error';
}

/** The one kafkajs factory: every service and tool builds its client here. */
export function createKafka(options: CreateKafkaOptions): KafkaHandle {
  const log = options.logger.child({ component: 'kafkajs' });
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 30_000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[kafkaLogLevel(level, entry)](rest, message);
      },
  };
  const kafka = new Kafka(config);
  const namePrefix = options.namePrefix ?? '';
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  const group = (id: string) => `${namePrefix}${id}`;
  return {
    kafka,
    namePrefix,
    topic: (name) => physicalTopic(name, namePrefix),
    group,
    consumerConfig(groupId, overrides = {}) {
      return {
        groupId: group(groupId),
        sessionTimeout,
        // A tenth of the session, as Kafka's own clients default to (3 s of 30 s), so a member misses several
        // heartbeats before it is considered dead.
        heartbeatInterval: Math.max(Math.floor(sessionTimeout / 10), 100),
        maxWaitTimeInMs: options.fetchMaxWaitMs ?? 1_000,
        minBytes: options.fetchMinBytes ?? 1,
        ...overrides,
      };
    },
  };
}

/** Runs `work` with a connected admin client of the handle, and disconnects it afterwards whatever happens. */
export async function withAdmin<T>(handle: KafkaHandle, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = handle.kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}
