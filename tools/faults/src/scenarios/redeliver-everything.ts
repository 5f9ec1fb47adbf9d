import { Kafka, logLevel } from 'kafkajs';
import { createKafka } from '@outflow/kafka';
import { createLogger } from '@outflow/telemetry';
import { loadSequence } from '../fault-environment.js';
import { groupCaughtUp, settle, sizes, type Scenario } from '../scenario-kit.js';

export const redeliverEverything: Scenario = {
  name: 'redeliver-everything',
  description: 'every message of every topic delivered three more times',
  run: async (environment, options) => {
    const kafka = new Kafka({ brokers: environment.stack.broker.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const topics = ['email-jobs', 'followup-events', 'email-retries'] as const;
    const copied: Record<string, number> = Object.fromEntries(topics.map((topic) => [topic, 0]));
    const consumers = [];
    for (const topic of topics) {
      const consumer = kafka.consumer({ groupId: `redeliver-${topic}`, maxWaitTimeInMs: 1_000 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (message.headers?.['outflow-redelivered']) return;
          const copy = {
            key: message.key,
            value: message.value,
            headers: { ...message.headers, 'outflow-redelivered': '1' },
          };
          await producer.send({ topic, messages: [copy, copy, copy] });
          copied[topic] = (copied[topic] ?? 0) + 1;
        },
      });
      consumers.push(consumer);
    }
    const { contacts } = sizes[options.size];
    const sequenceId = await loadSequence(environment, { contacts, steps: 2 });
    await settle(environment, [sequenceId], 120_000);
    // Settled is not enough: every copy must have been made and consumed before the guarantee is measured.
    const handle = createKafka({
      brokers: environment.stack.broker.brokers,
      clientId: 'fault-redeliver',
      logger: createLogger({ service: 'faults', level: 'silent' }),
    });
    for (const topic of topics) await groupCaughtUp(handle, `redeliver-${topic}`, topic);
    for (const consumer of consumers) await consumer.disconnect();
    await producer.disconnect();
    await groupCaughtUp(handle, 'smtp-sender', 'email-jobs');
    await groupCaughtUp(handle, 'followup-scheduler', 'followup-events');
    // Two steps per contact: each email's job and each sent email's follow-up event was copied three times.
    const mismatches = (['email-jobs', 'followup-events'] as const)
      .filter((topic) => (copied[topic] ?? 0) < 2 * contacts)
      .map((topic) => ({ topic, expectedCopiedAtLeast: 2 * contacts, copied: copied[topic] }));
    return { sequenceIds: [sequenceId], lastFaultAt: Date.now(), details: { copied, mismatches } };
  },
};
