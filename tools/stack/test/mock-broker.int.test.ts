import { describe, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';
import { startMockBroker } from '../src/index.js';

describe('the mock broker host', () => {
  it('pre-creates topics with the requested partition counts and creates more on demand', async () => {
    const broker = await startMockBroker({ topics: [{ name: 'twelve', partitions: 12 }] });
    try {
      await broker.createTopic({ name: 'three', partitions: 3 });
      await expect(broker.createTopic({ name: 'bad name!', partitions: 1 })).rejects.toThrow(/invalid topic name/);
      const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const { topics } = await admin.fetchTopicMetadata({ topics: ['twelve', 'three'] });
      await admin.disconnect();
      expect(Object.fromEntries(topics.map((topic) => [topic.name, topic.partitions.length]))).toEqual({
        twelve: 12,
        three: 3,
      });
    } finally {
      await broker.stop();
    }
  });

  it('returns as many stored record batches of a partition as fit in one fetch, as a real broker does', async () => {
    // librdkafka's mock returns one batch per partition per fetch; tools/mock-broker/fetch-many-batches.patch
    // makes it fill the fetch like Kafka. Without it a consumer sees one producer request's worth at a time.
    const broker = await startMockBroker({ topics: [{ name: 'batches', partitions: 1 }] });
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const firstFetch = async (maxBytesPerPartition: number): Promise<string[]> => {
      const consumer = kafka.consumer({
        groupId: `fetch-${maxBytesPerPartition}`,
        sessionTimeout: 3_000,
        heartbeatInterval: 500,
        maxWaitTimeInMs: 100,
        maxBytesPerPartition,
      });
      try {
        await consumer.connect();
        await consumer.subscribe({ topic: 'batches', fromBeginning: true });
        return await new Promise<string[]>((resolve) => {
          void consumer.run({
            eachBatch: async ({ batch }) => resolve(batch.messages.map((message) => message.value!.toString())),
          });
        });
      } finally {
        await consumer.disconnect();
      }
    };
    try {
      await producer.connect();
      // Five produce requests: five record batches of ~1 kB each.
      for (const index of [1, 2, 3, 4, 5]) {
        await producer.send({ topic: 'batches', messages: [{ value: `${index}`.padEnd(1_000, '.') }] });
      }
      const all = await firstFetch(1_048_576);
      expect(all.map((value) => value[0])).toEqual(['1', '2', '3', '4', '5']);
      // The partition's byte limit holds: whole batches up to it (the first one always).
      const limited = await firstFetch(2_500);
      expect(limited.map((value) => value[0])).toEqual(['1', '2']);
    } finally {
      await producer.disconnect();
      await broker.stop();
    }
  });

  it('answers a fetch waiting for data as soon as a message is produced, as a real broker does', async () => {
    // librdkafka's mock holds an empty fetch response for the whole MaxWait even when data arrives meanwhile;
    // tools/mock-broker/fetch-wakes-on-produce.patch sends it at once, and the consumer fetches again.
    const maxWaitTimeInMs = 2_000;
    const broker = await startMockBroker({ topics: [{ name: 'waiting', partitions: 1 }] });
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const admin = kafka.admin();
    const consumer = kafka.consumer({
      groupId: 'waiting',
      sessionTimeout: 3_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs,
    });
    const fetchesStarted: Array<() => void> = [];
    consumer.on(consumer.events.FETCH_START, () => fetchesStarted.splice(0).forEach((started) => started()));
    const arrivals = new Map<string, () => void>();
    try {
      await Promise.all([producer.connect(), admin.connect(), consumer.connect()]);
      await consumer.subscribe({ topic: 'waiting', fromBeginning: true });
      let nextFetch = new Promise<void>((resolve) => fetchesStarted.push(resolve));
      await consumer.run({
        eachMessage: async ({ message }) => {
          // The next fetch starts after this handler: listen for it before returning.
          nextFetch = new Promise<void>((resolve) => fetchesStarted.push(resolve));
          arrivals.get(message.value!.toString())?.();
        },
      });
      for (const value of ['first', 'second', 'third']) {
        await nextFetch;
        // A round trip on another connection: the broker has read the fetch sent before it, which now waits.
        await admin.fetchTopicMetadata({ topics: ['waiting'] });
        const arrived = new Promise<void>((resolve) => arrivals.set(value, resolve));
        const producedAt = Date.now();
        await producer.send({ topic: 'waiting', messages: [{ value }] });
        await arrived;
        // Unpatched, the message waits out the fetch's MaxWait (~2 s).
        expect(Date.now() - producedAt).toBeLessThan(maxWaitTimeInMs / 2);
      }
    } finally {
      await Promise.all([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
      await broker.stop();
    }
  });

  it('reports a crash of the broker process as an error', async () => {
    const crashes: string[] = [];
    const broker = await startMockBroker({ onCrash: (reason) => crashes.push(reason) });
    process.kill(broker.pid, 'SIGKILL');
    const exit = await broker.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(crashes).toEqual([expect.stringContaining('mock Kafka broker exited unexpectedly')]);
  });

  it('does not report a requested stop as a crash', async () => {
    const crashes: string[] = [];
    const broker = await startMockBroker({ onCrash: (reason) => crashes.push(reason) });
    await broker.stop();
    expect((await broker.exited).code).toBe(0);
    expect(crashes).toEqual([]);
  });
});
