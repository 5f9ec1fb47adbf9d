import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import {
  findFreePort,
  isProcessAlive,
  pinnedKafkaVersion,
  spawnTypeScript,
  startKafkaCluster,
  until,
} from '../src/index.js';

const client = (brokers: string[]) =>
  new Kafka({ clientId: 'cluster-test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } });

async function withAdmin<T>(brokers: string[], work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Every value on `topic`, read from the beginning by a fresh group. */
async function readAll(brokers: string[], topic: string, expected: number): Promise<string[]> {
  const consumer = client(brokers).consumer({ groupId: `reader-${Date.now()}-${Math.random()}` });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    await until(() => values.length >= expected, 30_000);
    return values;
  } finally {
    await consumer.disconnect();
  }
}

describe('Apache Kafka in KRaft mode from the pinned jars', () => {
  it('keeps what it acknowledged across a kill -9, answers offsets for a timestamp, and leaves nothing behind', async () => {
    const crashes: string[] = [];
    const cluster = await startKafkaCluster({
      topics: [{ name: 'kept', partitions: 3 }],
      onCrash: (reason) => crashes.push(reason),
    });
    const pids: number[] = [];
    try {
      expect(cluster.version).toBe(pinnedKafkaVersion());
      pids.push(cluster.nodes[0]!.pid!);
      const producer = client(cluster.brokers).producer();
      await producer.connect();
      // Explicit CreateTimes, so the lookup by time has one right answer.
      await producer.send({
        topic: 'kept',
        acks: -1,
        messages: [
          { key: 'k', value: 'first', partition: 0, timestamp: '1000' },
          { key: 'k', value: 'second', partition: 0, timestamp: '2000' },
          { key: 'k', value: 'third', partition: 0, timestamp: '3000' },
        ],
      });
      await producer.disconnect();

      await cluster.nodes[0]!.kill();
      expect(cluster.nodes[0]!.running).toBe(false);
      expect(crashes).toEqual([]);
      await cluster.nodes[0]!.start();
      pids.push(cluster.nodes[0]!.pid!);

      expect(await readAll(cluster.brokers, 'kept', 3)).toEqual(['first', 'second', 'third']);
      const byTime = await withAdmin(cluster.brokers, (admin) => admin.fetchTopicOffsetsByTimestamp('kept', 1500));
      expect(byTime.find((entry) => entry.partition === 0)?.offset).toBe('1');
      // A time after every message: the end of the partition, where a replay from then would start.
      const late = await withAdmin(cluster.brokers, (admin) => admin.fetchTopicOffsetsByTimestamp('kept', 9_999));
      expect(late.find((entry) => entry.partition === 0)?.offset).toBe('3');
    } finally {
      await cluster.stop();
    }
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
    expect(existsSync(cluster.dir)).toBe(false);
    expect(crashes).toEqual([]);
  }, 120_000);

  it('reports a node that dies on its own, and not one it was told to stop', async () => {
    const crashes: string[] = [];
    const cluster = await startKafkaCluster({ onCrash: (reason) => crashes.push(reason) });
    try {
      process.kill(cluster.nodes[0]!.pid!, 'SIGKILL');
      await until(() => crashes.length > 0, 10_000);
      expect(crashes).toEqual([expect.stringMatching(/^Kafka node 1 exited unexpectedly \(code 137\).*server\.log$/)]);
      expect(() => cluster.nodes[0]!.pause()).toThrow('Kafka node 1 is not running');
    } finally {
      await cluster.stop();
    }
    expect(crashes).toHaveLength(1);
  }, 60_000);

  it('starts on other ports when a port it chose is taken before the node binds it', async () => {
    // Another process listens on the port the cluster is handed first, as happens when a parallel test's server
    // takes it between the check and the bind.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as AddressInfo).port;
    let handedOut = 0;
    const crashes: string[] = [];
    try {
      const cluster = await startKafkaCluster({
        findPort: () => (handedOut++ === 0 ? Promise.resolve(taken) : findFreePort()),
        onCrash: (reason) => crashes.push(reason),
      });
      try {
        expect(cluster.brokers).toHaveLength(1);
        expect(cluster.brokers[0]).not.toBe(`127.0.0.1:${taken}`);
        // Two ports for the failed start, two for the one that worked.
        expect(handedOut).toBe(4);
        expect(await withAdmin(cluster.brokers, async (admin) => (await admin.describeCluster()).brokers)).toHaveLength(
          1,
        );
      } finally {
        await cluster.stop();
      }
    } finally {
      squatter.close();
    }
    expect(crashes).toEqual([]);
  }, 90_000);

  it('stops its node when the process that started it is killed -9', async () => {
    const owner = spawnTypeScript(fileURLToPath(new URL('./fixtures/start-kafka-and-wait.ts', import.meta.url)));
    const [, pid] = await owner.waitForOutput(/node pid (\d+)/, 60_000);
    expect(isProcessAlive(Number(pid))).toBe(true);
    owner.kill('SIGKILL');
    await until(() => !isProcessAlive(Number(pid)), 20_000);
  }, 90_000);

  it('elects a new leader when a node of three is killed, and refuses writes without two in-sync replicas', async () => {
    const cluster = await startKafkaCluster({ nodes: 3, topics: [{ name: 'replicated', partitions: 2 }] });
    try {
      const leaderOf = async (partition: number) =>
        withAdmin(cluster.brokers, async (admin) => {
          const { topics } = await admin.fetchTopicMetadata({ topics: ['replicated'] });
          const found = topics[0]!.partitions.find((entry) => entry.partitionId === partition)!;
          expect(found.replicas).toHaveLength(3);
          return { leader: found.leader, isr: found.isr };
        });
      const producer = client(cluster.brokers).producer({ retry: { retries: 3, maxRetryTime: 2_000 } });
      await producer.connect();
      try {
        await producer.send({ topic: 'replicated', acks: -1, messages: [{ value: 'before', partition: 0 }] });
        const { leader } = await leaderOf(0);
        const killed = cluster.nodes.find((node) => node.id === leader)!;
        await killed.kill();
        const survivors = cluster.nodes.filter((node) => node !== killed).map((node) => node.address);
        let after = await leaderOf(0);
        for (const deadline = Date.now() + 30_000; after.leader === leader && Date.now() < deadline;) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          after = await leaderOf(0);
        }
        expect(after.leader).not.toBe(leader);
        await producer.send({ topic: 'replicated', acks: -1, messages: [{ value: 'after', partition: 0 }] });
        expect(await readAll(survivors, 'replicated', 2)).toEqual(['before', 'after']);

        // With one node of three left, an acks=all write has one in-sync replica of the two required: it is refused
        // (NOT_ENOUGH_REPLICAS once the leader has dropped the dead followers from the ISR, a timeout before).
        const second = cluster.nodes.find((node) => node !== killed && node.id !== after.leader)!;
        await second.kill();
        await expect(
          producer.send({
            topic: 'replicated',
            acks: -1,
            timeout: 2_000,
            messages: [{ value: 'lost?', partition: 0 }],
          }),
        ).rejects.toThrow(/NOT_ENOUGH_REPLICAS|not enough replicas|in-sync|timed out/i);
        await second.start();
        await killed.start();
      } finally {
        await producer.disconnect();
      }
    } finally {
      await cluster.stop();
    }
  }, 180_000);
});
