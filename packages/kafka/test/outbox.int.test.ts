import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@outflow/db/testing';
import { startTestStack, testLogger, type TestStack } from '@outflow/stack';
import { createMetrics } from '@outflow/telemetry';
import {
  createKafka,
  createSchemaCodec,
  createTypedProducer,
  enqueueOutbox,
  publishOutbox,
  startConsumerLoop,
  startOutboxRelay,
  type OutboxMessage,
  type TypedProducer,
} from '../src/index.js';

const logger = testLogger('outbox-test');

function followup(sequenceContactId: string): OutboxMessage<'followup-events'> {
  const emailId = randomUUID();
  return {
    topic: 'followup-events',
    messageId: `followup:${emailId}`,
    key: sequenceContactId,
    payload: {
      event_id: randomUUID(),
      email_id: emailId,
      sequence_id: randomUUID(),
      sequence_contact_id: sequenceContactId,
      contact_id: randomUUID(),
      mailbox_id: randomUUID(),
      step_order: 1,
      sent_at: Date.now(),
    },
  };
}

describe('the outbox', () => {
  let stack: TestStack;
  let database: TestDatabase;
  let producer: TypedProducer;
  const received = new Map<string, number>();
  const waiters: Array<() => void> = [];
  let stopConsumer: () => Promise<void>;

  const waitFor = (check: () => boolean): Promise<void> =>
    check() ? Promise.resolve() : new Promise((resolve) => waiters.push(() => check() && resolve()));

  beforeAll(async () => {
    stack = await startTestStack();
    database = await createTestDatabase();
    const codec = createSchemaCodec({ registryUrl: stack.registry.url });
    await codec.registerAll();
    const kafka = createKafka({
      brokers: stack.broker.brokers,
      clientId: 'outbox-test',
      logger,
      namePrefix: stack.topicPrefix,
    });
    producer = await createTypedProducer({ kafka, codec });
    const loop = await startConsumerLoop({
      kafka,
      codec,
      producer,
      logger,
      groupId: 'outbox-test',
      topic: 'followup-events',
      handle: async (message) => {
        received.set(message.headers.messageId, (received.get(message.headers.messageId) ?? 0) + 1);
        for (const waiter of [...waiters]) waiter();
      },
      onFatal: (error) => {
        throw error;
      },
    });
    stopConsumer = () => loop.stop();
  });

  afterAll(async () => {
    await stopConsumer?.();
    await producer?.disconnect();
    await database?.drop();
    await stack?.close();
  });

  const outboxSize = async () =>
    Number(
      (
        await database.db
          .selectFrom('outbox')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('publishes committed rows right away and deletes them', async () => {
    const message = followup(randomUUID());
    const ids = await database.db.transaction().execute((trx) => enqueueOutbox(trx, [message]));
    expect(await publishOutbox(database.db, producer, ids)).toBe(1);
    await waitFor(() => received.has(message.messageId));
    expect(await outboxSize()).toBe(0);
  });

  it("returns each message's row id in the messages' order, with its payload stored as given", async () => {
    const messages = [followup(randomUUID()), followup(randomUUID()), followup(randomUUID())];
    const ids = await database.db.transaction().execute((trx) => enqueueOutbox(trx, messages));
    const rows = await database.db
      .selectFrom('outbox')
      .select(['id', 'topic', 'message_key', 'message_id', 'payload'])
      .where('id', 'in', ids)
      .execute();
    const byId = new Map(rows.map((row) => [String(row.id), row]));
    expect(ids.map((id) => byId.get(id))).toEqual(
      messages.map((message) => ({
        id: expect.anything(),
        topic: message.topic,
        message_key: message.key,
        message_id: message.messageId,
        payload: message.payload,
      })),
    );
    await database.db.deleteFrom('outbox').execute();
  });

  it('writes nothing when the transaction that enqueued rolls back', async () => {
    const message = followup(randomUUID());
    await expect(
      database.db.transaction().execute(async (trx) => {
        await enqueueOutbox(trx, [message]);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await outboxSize()).toBe(0);
  });

  it('relays what a writer left behind (it died between its commit and its produce), exactly once per row', async () => {
    const left = [followup(randomUUID()), followup(randomUUID()), followup(randomUUID())];
    await database.db.transaction().execute((trx) => enqueueOutbox(trx, left));
    const metrics = [createMetrics('relay-1'), createMetrics('relay-2')];
    const relays = metrics.map((relayMetrics) =>
      startOutboxRelay({ db: database.db, producer, logger, intervalMs: 50, minAgeMs: 0, metrics: relayMetrics }),
    );
    await waitFor(() => left.every((message) => received.has(message.messageId)));
    for (const relay of relays) await relay.stop();
    expect(await outboxSize()).toBe(0);
    // Two relays ran at once; row locks let each row be published by one of them, and counted by it.
    expect(left.map((message) => received.get(message.messageId))).toEqual([1, 1, 1]);
    const relayed = await Promise.all(
      metrics.map(
        async (m) => (await m.registry.getSingleMetric('outflow_outbox_relayed_total')!.get()).values[0]!.value,
      ),
    );
    expect(relayed[0]! + relayed[1]!).toBe(3);
  });
});
