import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, testLogger, type TestStack } from '@outflow/stack';
import {
  createKafka,
  createSchemaCodec,
  createTypedProducer,
  startConsumerLoop,
  type TypedProducer,
} from '../src/index.js';
import { collector } from './collector.js';
import { samples } from './sample-payloads.js';

const logger = testLogger('consumer-recovery-test');

const followup = samples['followup-events'];

describe('the consumer loop when the broker loses everything', () => {
  let stack: TestStack;
  let producer: TypedProducer;

  beforeAll(async () => {
    stack = await startTestStack({ ownBroker: 1 });
  });
  afterAll(async () => {
    await producer?.disconnect();
    await stack?.close();
  });

  it('keeps consuming from the replacement broker without giving up (its group is gone there)', async () => {
    const codec = createSchemaCodec({ registryUrl: stack.registry.url });
    await codec.registerAll();
    producer = await createTypedProducer({
      kafka: createKafka({
        brokers: stack.broker.brokers,
        clientId: 'recovery-producer',
        logger,
        namePrefix: stack.topicPrefix,
      }),
      codec,
    });
    const received = collector<string>();
    const fatal: Error[] = [];
    const loop = await startConsumerLoop({
      kafka: createKafka({
        brokers: stack.broker.brokers,
        clientId: 'recovery-member',
        logger,
        namePrefix: stack.topicPrefix,
      }),
      codec,
      producer,
      logger,
      groupId: 'recovery',
      topic: 'followup-events',
      handle: async ({ payload }) => received.push(payload.event_id),
      onFatal: (error) => fatal.push(error),
      retryBackoff: { initialMs: 100, maxMs: 1_000 },
    });
    const arrives = (id: string) => received.until(() => received.items.includes(id));
    try {
      await loop.joined;
      const before = followup();
      await producer.send('followup-events', [{ payload: before }]);
      await arrives(before.event_id);

      await stack.broker.replace();
      const after = followup();
      await producer.send('followup-events', [{ payload: after }]);
      await arrives(after.event_id);
      expect(fatal).toEqual([]);
    } finally {
      await loop.stop();
    }
  });
});
