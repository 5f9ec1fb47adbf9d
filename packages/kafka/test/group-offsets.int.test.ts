import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppError } from '@outflow/runtime';
import { startTestStack, testLogger, type TestStack } from '@outflow/stack';
import { createMetrics, type Metrics } from '@outflow/telemetry';
import {
  createKafka,
  fetchGroupLag,
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

  /**
   * A member of `groupId` that records every expected event id it handles; with `poison`, that event fails for good
   * (it is dead-lettered), and with `metrics` the loop measures itself there.
   */
  const member = async (
    groupId: string,
    expected: Set<string>,
    options: { poison?: string; metrics?: Metrics } = {},
  ) => {
    const seen = collector<string>();
    const loop = await startConsumerLoop({
      kafka: handle(),
      codec,
      producer,
      logger,
      groupId,
      topic: 'followup-events',
      ...(options.metrics ? { metrics: options.metrics } : {}),
      handle: async ({ payload }) => {
        if (payload.event_id === options.poison) throw new AppError('POISON', 'never handled', { retryable: false });
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

  it("reports a group's lag per partition, which its members' commits bring to 0, and counts dead letters", async () => {
    const groupId = `lag-${randomUUID()}`;
    const events = Array.from({ length: 8 }, followup);
    const ids = new Set(events.map((event) => event.event_id));
    const poison = events[3]!.event_id;
    await producer.send(
      'followup-events',
      events.map((payload) => ({ payload })),
    );
    const totalLag = async () =>
      (await fetchGroupLag(handle(), { groupId, topic: 'followup-events' })).reduce((sum, p) => sum + p.lag, 0);
    // A group that never committed is behind by everything retained, these eight included.
    expect(await totalLag()).toBeGreaterThanOrEqual(8);

    const metrics = createMetrics('lag-test');
    const handled = new Set([...ids].filter((id) => id !== poison));
    const { loop, untilAll } = await member(groupId, handled, { poison, metrics });
    try {
      await untilAll();
      const exported = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values;
      // Read from the broker at each scrape: one series per partition, 0 once the member committed what it handled.
      for (const deadline = Date.now() + 15_000; ;) {
        const lags = await exported('outflow_consumer_lag');
        const partitions = (await fetchGroupLag(handle(), { groupId, topic: 'followup-events' })).length;
        expect(lags).toHaveLength(partitions);
        expect(lags[0]!.labels).toEqual({ topic: 'followup-events', partition: '0' });
        if (lags.every((entry) => entry.value === 0)) break;
        if (Date.now() > deadline) throw new Error(`the lag stayed ${JSON.stringify(lags)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Every offset is committed, the poison's too: it was dead-lettered (and counted) before its offset moved on.
      expect(await exported('outflow_dead_letters_total')).toEqual([
        expect.objectContaining({ labels: { topic: 'followup-events' }, value: 1 }),
      ]);
    } finally {
      await loop.stop();
    }
    expect(await totalLag()).toBe(0);
    // A stopped loop no longer reports its group.
    expect((await metrics.registry.getSingleMetric('outflow_consumer_lag')!.get()).values).toEqual([]);
  });
});
