import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, testLogger, type TestStack } from '@outflow/stack';
import {
  createKafka,
  createSchemaCodec,
  createTypedProducer,
  resetGroupToEarliest,
  startConsumerLoop,
  type SchemaCodec,
  type TypedProducer,
} from '../src/index.js';
import { collector } from './collector.js';
import { samples } from './sample-payloads.js';

const logger = testLogger('group-offsets-test');

const followup = samples['followup-events'];

describe('resetting a consumer group to the earliest offset', () => {
  let stack: TestStack;
  let codec: SchemaCodec;
  let producer: TypedProducer;
  const handle = () =>
    createKafka({ brokers: stack.broker.brokers, clientId: 'reset-test', logger, namePrefix: stack.topicPrefix });

  beforeAll(async () => {
    stack = await startTestStack();
    codec = createSchemaCodec({ registryUrl: stack.registry.url });
    await codec.registerAll();
    producer = await createTypedProducer({ kafka: handle(), codec });
  });
  afterAll(async () => {
    await producer?.disconnect();
    await stack?.close();
  });

  /** A member of `groupId` that records every expected event id it handles. */
  const member = async (groupId: string, expected: Set<string>) => {
    const seen = collector<string>();
    const loop = await startConsumerLoop({
      kafka: handle(),
      codec,
      producer,
      logger,
      groupId,
      topic: 'followup-events',
      handle: async ({ payload }) => {
        if (expected.has(payload.event_id)) seen.push(payload.event_id);
      },
      onFatal: (error) => {
        throw error;
      },
    });
    await loop.joined;
    return {
      loop,
      seen: seen.items,
      untilAll: () => seen.until(() => new Set(seen.items).size >= expected.size),
    };
  };

  it('makes a stopped group read every retained message again, and refuses while a member runs', async () => {
    const groupId = `reset-${randomUUID()}`;
    const events = Array.from({ length: 8 }, followup);
    const ids = new Set(events.map((event) => event.event_id));
    await producer.send(
      'followup-events',
      events.map((payload) => ({ payload })),
    );

    const first = await member(groupId, ids);
    await first.untilAll();
    await expect(resetGroupToEarliest(handle(), { groupId, topic: 'followup-events' })).rejects.toMatchObject({
      code: 'GROUP_NOT_EMPTY',
    });
    await first.loop.stop();

    const offsets = await resetGroupToEarliest(handle(), { groupId, topic: 'followup-events' });
    expect(offsets.map((entry) => entry.offset)).toEqual(offsets.map(() => '0'));

    const second = await member(groupId, ids);
    await second.untilAll();
    await second.loop.stop();
    expect(new Set(second.seen)).toEqual(ids);
  });
});
