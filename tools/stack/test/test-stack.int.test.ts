import { describe, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';
import { topicNames } from '@outflow/contracts';
import { isProcessAlive, startKafkaCluster, startTestStack, type KafkaCluster } from '../src/index.js';

async function listTopics(brokers: string[]): Promise<string[]> {
  const admin = new Kafka({ clientId: 'test-stack-test', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

describe("a test stack on the caller's cluster (the bench's warm broker)", () => {
  it('creates its topics under a prefix of its own, deletes them on close and leaves the cluster running', async () => {
    const cluster = await startKafkaCluster();
    try {
      const first = await startTestStack({ cluster });
      const second = await startTestStack({ cluster });
      expect(first.topicPrefix).not.toBe(second.topicPrefix);
      expect(first.broker.cluster?.nodes[0]?.pid).toBe(cluster.nodes[0]?.pid);
      await expect(first.broker.replace()).rejects.toThrow('cannot replace');
      const own = (prefix: string, topics: string[]) => topics.filter((topic) => topic.startsWith(prefix)).sort();
      const expected = (prefix: string) => topicNames.map((topic) => `${prefix}${topic}`).sort();
      expect(own(first.topicPrefix, await listTopics(cluster.brokers))).toEqual(expected(first.topicPrefix));

      await first.close();
      const left = await listTopics(cluster.brokers);
      expect(own(first.topicPrefix, left)).toEqual([]);
      expect(own(second.topicPrefix, left)).toEqual(expected(second.topicPrefix));
      expect(isProcessAlive(cluster.nodes[0]!.pid!)).toBe(true);
      await second.close();
    } finally {
      await cluster.stop();
    }
  });

  it('refuses a cluster and an own broker at once', async () => {
    // Refused before anything is started, so no real cluster is needed.
    const cluster = { brokers: ['127.0.0.1:1'] } as unknown as KafkaCluster;
    await expect(startTestStack({ cluster, ownBroker: 1 })).rejects.toThrow('not both');
  });
});
