import { Kafka, logLevel } from 'kafkajs';
import { topicContracts, topicNames, type TopicName } from '@outflow/contracts';
import type { KafkaHandle } from './kafka-client.js';

/**
 * Creates the product's topics with their partition counts where missing. A broker that does not implement
 * CreateTopics (managed clusters with topic creation disabled, the dev mock) is treated as "the broker manages
 * topics": we then only verify that every topic exists and name the missing ones.
 */
export async function ensureTopics(
  handle: KafkaHandle,
  options: { topicPrefix?: string; replicationFactor?: number } = {},
): Promise<void> {
  const prefix = options.topicPrefix ?? '';
  const admin = handle.kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topicNames.filter((topic) => !existing.has(`${prefix}${topic}`));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic: TopicName) => ({
          topic: `${prefix}${topic}`,
          numPartitions: topicContracts[topic].partitions,
          replicationFactor: options.replicationFactor ?? -1,
        })),
      });
    } catch (error) {
      if ((error as Error).name !== 'KafkaJSServerDoesNotSupportApiKey') throw error;
      const after = new Set(await admin.listTopics());
      const stillMissing = missing.filter((topic) => !after.has(`${prefix}${topic}`));
      if (stillMissing.length > 0) {
        throw new Error(
          `the broker does not support creating topics and these are missing: ${stillMissing.map((topic) => `${prefix}${topic}`).join(', ')}`,
        );
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Fails fast with a clear message when no broker answers, instead of letting a client retry for minutes. Uses
 * its own short-lived client with few retries, so the answer comes within a few seconds.
 */
export async function assertKafkaReachable(brokers: readonly string[], timeoutMs = 3_000): Promise<void> {
  const probe = new Kafka({
    clientId: 'outflow-reachability-probe',
    brokers: [...brokers],
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1_000 },
    logLevel: logLevel.NOTHING,
  });
  const admin = probe.admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (error) {
    throw new Error(
      `cannot reach Kafka at ${brokers.join(',')} (KAFKA_BROKERS): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
