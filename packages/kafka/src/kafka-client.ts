import { Kafka, logLevel as KafkaLogLevel, type ConsumerConfig, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '@outflow/telemetry';
import { createDevRoundRobinAssigner } from './dev-assigner.js';

export interface CreateKafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /**
   * Settings for the dev/test broker (librdkafka's mock cluster): short session timeouts and an assigner that
   * tolerates its SyncGroup race. Never set against a real broker. Default false.
   */
  devBroker?: boolean;
  /** How long a connection attempt may take before the broker is reported unreachable. Default 3 000 ms. */
  connectionTimeoutMs?: number;
}

export interface KafkaHandle {
  kafka: Kafka;
  devBroker: boolean;
  /** Consumer settings for a group, with the dev broker's adjustments where the flag is on. */
  consumerConfig(groupId: string, overrides?: Partial<ConsumerConfig>): ConsumerConfig;
}

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

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
        log[levels[level] ?? 'info'](rest, message);
      },
  };
  const kafka = new Kafka(config);
  const devBroker = options.devBroker ?? false;
  return {
    kafka,
    devBroker,
    consumerConfig(groupId, overrides = {}) {
      const base: ConsumerConfig = devBroker
        ? {
            groupId,
            // The mock waits about sessionTimeout - 1 s on every rebalance; at or below maxWaitTimeInMs members
            // flap and the mock aborts. These values were measured to work (see shared/KAFKA-TESTING.md).
            sessionTimeout: 3_000,
            heartbeatInterval: 500,
            // The same wait as in production: our build of the mock answers a waiting fetch as soon as data arrives
            // (tools/mock-broker/fetch-wakes-on-produce.patch), as Kafka does, so idle consumers poll once a second
            // instead of ten times.
            maxWaitTimeInMs: 1_000,
            rebalanceTimeout: 10_000,
            partitionAssigners: [createDevRoundRobinAssigner],
          }
        : { groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 1_000 };
      return { ...base, ...overrides };
    },
  };
}
