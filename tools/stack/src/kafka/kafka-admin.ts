import { Kafka, logLevel } from 'kafkajs';

export interface TopicSpec {
  name: string;
  partitions: number;
}

/** A client for the stack's own requests: few retries, so a node that is not up yet fails the attempt quickly. */
function adminClient(brokers: readonly string[]): Kafka {
  return new Kafka({
    clientId: 'outflow-stack',
    brokers: [...brokers],
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
}

/** The ids of the brokers that the node at `address` reports in a metadata (DescribeCluster) answer. */
export async function describeClusterAt(address: string): Promise<number[]> {
  const admin = adminClient([address]).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.map((broker) => broker.nodeId).sort((a, b) => a - b);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Creates the topics that do not exist yet (the cluster's default replication) and waits for their leaders. */
export async function createKafkaTopics(brokers: readonly string[], topics: readonly TopicSpec[]): Promise<void> {
  for (const topic of topics) {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic.name)) throw new Error(`invalid topic name "${topic.name}"`);
  }
  const client = new Kafka({
    clientId: 'outflow-stack',
    brokers: [...brokers],
    connectionTimeout: 3_000,
    logLevel: logLevel.NOTHING,
  });
  const admin = client.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic.name));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((topic) => ({ topic: topic.name, numPartitions: topic.partitions })),
    });
    // Not kafkajs's waitForLeaders: a KRaft broker learns of a new topic from the metadata log a moment after
    // CreateTopics answers, and until then answers UNKNOWN_TOPIC_OR_PARTITION, which kafkajs's wait does not retry.
    const names = missing.map((topic) => topic.name);
    for (const deadline = Date.now() + 30_000; ;) {
      const led = await admin
        .fetchTopicMetadata({ topics: names })
        .then(({ topics: found }) => found.every((topic) => topic.partitions.every((p) => p.leader >= 0)))
        .catch(() => false);
      if (led) return;
      if (Date.now() > deadline) throw new Error(`the new topics ${names.join(', ')} have no leader after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Deletes the topics that exist among `names` (their data goes with them) and waits until the broker no longer lists
 * them; the others are left alone.
 */
export async function deleteKafkaTopics(brokers: readonly string[], names: readonly string[]): Promise<void> {
  const admin = new Kafka({
    clientId: 'outflow-stack',
    brokers: [...brokers],
    connectionTimeout: 3_000,
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const present = names.filter((name) => existing.has(name));
    if (present.length === 0) return;
    await admin.deleteTopics({ topics: present, timeout: 30_000 });
    // As with creation, the broker lists a deleted topic until it has applied the deletion from the metadata log.
    for (const deadline = Date.now() + 30_000; ;) {
      const listed = new Set(await admin.listTopics());
      if (!present.some((name) => listed.has(name))) return;
      if (Date.now() > deadline)
        throw new Error(`the topics ${present.join(', ')} are still listed 30 s after deletion`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
