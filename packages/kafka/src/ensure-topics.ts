import { Kafka, logLevel, type Admin } from 'kafkajs';
import { topicContracts, topicNames } from '@outflow/contracts';
import { withAdmin, type KafkaHandle } from './kafka-client.js';

/**
 * Creates the product's topics (with the handle's name prefix) with their partition counts where missing, waiting
 * for every partition's leader; returns the names it created (none when all existed). Replication is the cluster's
 * default.replication.factor unless given. A cluster where this client may not create topics fails with the names
 * of the missing ones.
 */
export async function ensureTopics(
  handle: KafkaHandle,
  options: { replicationFactor?: number } = {},
): Promise<string[]> {
  return withAdmin(handle, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = topicNames.filter((topic) => !existing.has(handle.topic(topic)));
    const names = missing.map((topic) => handle.topic(topic));
    if (missing.length === 0) return [];
    try {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((topic, index) => ({
          topic: names[index]!,
          numPartitions: topicContracts[topic].partitions,
          replicationFactor: options.replicationFactor ?? -1,
        })),
      });
      await waitForLeaders(admin, names);
      return names;
    } catch (error) {
      throw new Error(`creating the topics ${names.join(', ')} failed: ${(error as Error).message}`, { cause: error });
    }
  });
}

export interface TopicState {
  /** The topic's name on the cluster (with the handle's prefix). */
  name: string;
  /** The partitions its contract names. */
  expectedPartitions: number;
  /** What the cluster has: absent when the topic does not exist. */
  found?: { partitions: number; replicas: number };
}

/**
 * Every product topic as the cluster has it, against its contract: its partitions and the fewest replicas of any
 * of them, or that it is missing.
 */
export async function describeTopics(handle: KafkaHandle): Promise<TopicState[]> {
  return withAdmin(handle, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topicNames.map((topic) => handle.topic(topic)).filter((name) => existing.has(name));
    const { topics } = present.length > 0 ? await admin.fetchTopicMetadata({ topics: present }) : { topics: [] };
    return topicNames.map((topic) => {
      const name = handle.topic(topic);
      const found = topics.find((entry) => entry.name === name);
      return {
        name,
        expectedPartitions: topicContracts[topic].partitions,
        ...(found && {
          found: {
            partitions: found.partitions.length,
            replicas: Math.min(...found.partitions.map((partition) => partition.replicas.length)),
          },
        }),
      };
    });
  });
}

/**
 * Resolves once every partition of `topics` has a leader. Not kafkajs's own wait: a KRaft broker learns of a new
 * topic from the metadata log a moment after CreateTopics answers and meanwhile answers UNKNOWN_TOPIC_OR_PARTITION,
 * which kafkajs's wait treats as final.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() <= deadline) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      if (metadata.topics.every(({ partitions }) => partitions.every(({ leader }) => leader >= 0))) return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no leader for every partition within ${timeoutMs} ms`, { cause: last });
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
