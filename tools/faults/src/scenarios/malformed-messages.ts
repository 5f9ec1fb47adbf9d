import { Kafka, logLevel } from 'kafkajs';
import { loadSequence } from '../fault-environment.js';
import { sizes, type Scenario } from '../scenario-kit.js';

export const malformedMessages: Scenario = {
  name: 'malformed-messages',
  description: 'a malformed message on each topic: dead-lettered, offset committed, the partition keeps flowing',
  run: async (environment, options) => {
    const kafka = new Kafka({ brokers: environment.stack.broker.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    for (const topic of ['email-jobs', 'followup-events', 'email-retries']) {
      await producer.send({
        topic,
        messages: Array.from({ length: 12 }, (_, partition) => ({
          partition: partition % 6,
          value: Buffer.from('garbage'),
          headers: { 'outflow-message-id': `garbage-${topic}-${partition}` },
        })),
      });
    }
    await producer.disconnect();
    const { contacts } = sizes[options.size];
    const sequenceId = await loadSequence(environment, { contacts: Math.min(contacts, 50), steps: 2 });
    // Every garbage message must reach the dead-letter topic, named by the group that could not read it.
    const letters = new Map<string, number>();
    const reader = kafka.consumer({ groupId: 'dead-letter-audit', maxWaitTimeInMs: 1_000 });
    await reader.connect();
    await reader.subscribe({ topic: 'outflow-dead-letters', fromBeginning: true });
    let resolveAll!: () => void;
    const all = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    await reader.run({
      eachMessage: async ({ message }) => {
        // The payload is Avro; the source topic name is a plain string inside it, enough for this count.
        const text = message.value?.toString('latin1') ?? '';
        for (const topic of ['email-jobs', 'followup-events', 'email-retries']) {
          if (text.includes(topic) && text.includes('DECODE_FAILED')) letters.set(topic, (letters.get(topic) ?? 0) + 1);
        }
        if ([...letters.values()].reduce((sum, n) => sum + n, 0) >= 36) resolveAll();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, 60_000)))]);
    clearTimeout(timer);
    await reader.disconnect();
    const mismatches = ['email-jobs', 'followup-events', 'email-retries']
      .filter((topic) => (letters.get(topic) ?? 0) < 12)
      .map((topic) => ({ topic, expected: 12, deadLettered: letters.get(topic) ?? 0 }));
    return {
      sequenceIds: [sequenceId],
      lastFaultAt: Date.now(),
      details: { deadLettered: Object.fromEntries(letters), mismatches },
    };
  },
};
