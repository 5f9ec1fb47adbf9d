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
