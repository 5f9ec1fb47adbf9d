import { describe, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';
import { startReplaceableBroker } from '../src/index.js';

describe('the replaceable dev broker', () => {
  it('advertises its proxy, so one client keeps working across a replacement that loses every message', async () => {
    const broker = await startReplaceableBroker({ topics: [{ name: 'kept', partitions: 2 }] });
    const kafka = new Kafka({
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 50, retries: 20 },
    });
    const producer = kafka.producer();
    const admin = kafka.admin();
    try {
      await producer.connect();
      await admin.connect();
      // Metadata names the proxy, not the mock's own listener: a client that followed it would break below.
      const { brokers } = await admin.describeCluster();
      expect(brokers.map((b) => `${b.host}:${b.port}`)).toEqual(broker.brokers);

      await producer.send({ topic: 'kept', messages: [{ key: 'a', value: 'before' }] });
      const before = await admin.fetchTopicOffsets('kept');
      expect(before.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1);

      await broker.replace();
      expect(broker.replacements).toBe(1);

      // The same producer reconnects to the same address and finds an empty broker with the same topics.
      await producer.send({ topic: 'kept', messages: [{ key: 'a', value: 'after' }] });
      const after = await admin.fetchTopicOffsets('kept');
      expect(after).toHaveLength(2);
      expect(after.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
      await broker.stop();
    }
  });
});
