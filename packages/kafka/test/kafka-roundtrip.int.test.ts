import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  deadLetterTopic,
  topicContracts,
  topicNames,
  type EmailJob,
  type PayloadOf,
  type TopicName,
} from '@outflow/contracts';
import { createTestDatabase } from '@outflow/db/testing';
import { sql } from 'kysely';
import { AppError } from '@outflow/runtime';
import { startTestStack, testLogger, type TestStack } from '@outflow/stack';
import {
  assertKafkaReachable,
  createKafka,
  createSchemaCodec,
  createTypedProducer,
  ensureTopics,
  startConsumerLoop,
  type ConsumedMessage,
  type ConsumerLoop,
  type ConsumerLoopOptions,
  type DeadLetterInfo,
  type SchemaCodec,
  type TypedProducer,
} from '../src/index.js';
import { collector } from './collector.js';
import { samples } from './sample-payloads.js';

const logger = testLogger('kafka-int-test');
describe('kafka package against Apache Kafka and the registry', () => {
  let stack: TestStack;
  let codec: SchemaCodec;
  let producer: TypedProducer;
  const loops: ConsumerLoop[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    codec = createSchemaCodec({ registryUrl: stack.registry.url });
    await codec.registerAll();
    const handle = createKafka({
      brokers: stack.broker.brokers,
      clientId: 'int-test',
      logger,
      namePrefix: stack.topicPrefix,
    });
    producer = await createTypedProducer({ kafka: handle, codec });
  });

  afterAll(async () => {
    for (const loop of loops) await loop.stop();
    await producer?.disconnect();
    await stack?.close();
  });

  const startMember = <T extends TopicName>(
    topic: T,
    groupId: string,
    handle: (message: ConsumedMessage<T>) => Promise<void>,
    onAssignment?: (partitions: number[]) => void,
    messageConcurrency?: number,
    onDeadLetter?: ConsumerLoopOptions<T>['onDeadLetter'],
  ) => {
    const kafka = createKafka({
      brokers: stack.broker.brokers,
      clientId: `${groupId}-member`,
      logger,
      namePrefix: stack.topicPrefix,
    });
    const onFatal = (error: Error): void => {
      throw error;
    };
    return startConsumerLoop({
      kafka,
      codec,
      producer,
      logger,
      groupId,
      topic,
      handle,
      onFatal,
      ...(onAssignment ? { onAssignment } : {}),
      ...(messageConcurrency ? { messageConcurrency } : {}),
      ...(onDeadLetter ? { onDeadLetter } : {}),
    }).then((loop) => {
      loops.push(loop);
      return loop;
    });
  };

  /** Two members of a fresh group on `topic`; produce once both hold a share; every message arrives. */
  const roundTrip = async <T extends TopicName>(topic: T): Promise<void> => {
    const groupId = `roundtrip.${topic}.${randomUUID()}`;
    const received = collector<{ member: number; message: ConsumedMessage<T> }>();
    const sent: PayloadOf<T>[] = Array.from({ length: 40 }, () => samples[topic]());
    const ours = new Set(sent.map((payload) => JSON.stringify(payload)));
    const assignments = collector<{ member: number; partitions: number[] }>();
    // A new group reads each topic from the beginning; other tests' messages are not this test's.
    const members = await Promise.all(
      [1, 2].map((member) =>
        startMember(
          topic,
          groupId,
          async (message) => {
            if (ours.has(JSON.stringify(message.payload))) received.push({ member, message });
          },
          (partitions) => assignments.push({ member, partitions }),
        ),
      ),
    );
    const latest = (member: number) =>
      assignments.items.filter((item) => item.member === member).at(-1)?.partitions ?? [];
    await assignments.until(() => {
      const [first, second] = [latest(1), latest(2)];
      const all = new Set([...first, ...second]);
      return (
        first.length > 0 &&
        second.length > 0 &&
        all.size === first.length + second.length &&
        all.size === topicContracts[topic].partitions
      );
    });

    await producer.send(
      topic,
      sent.map((payload) => ({ payload })),
    );
    const payloads = () => received.items.map((item) => JSON.stringify(item.message.payload));
    await received.until(() => new Set(payloads()).size >= ours.size);

    // Every message arrives. Once, as a rule; but a rebalance (Kafka may start another while the group settles)
    // hands a member's handled but not yet committed messages to the other: consumers de-duplicate by message id.
    expect(new Set(payloads())).toEqual(ours);
    // Both members of the group got a share of the partitions and so of the messages.
    expect(new Set(received.items.map((item) => item.member))).toEqual(new Set([1, 2]));
    for (const { message } of received.items) {
      expect(message.headers.messageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(message.headers.attempt).toBe(1);
    }
    for (const member of members) await member.stop();
  };

  it('round-trips every topic schema through the registry, and two members of one group share the partitions', async () => {
    await Promise.all(topicNames.map((topic) => roundTrip(topic)));
  });

  it('does not compile when a payload is produced on the wrong topic', () => {
    const job = samples['email-jobs']();
    const wrongTopic = () =>
      // @ts-expect-error an email job is not a follow-up event
      producer.send('followup-events', [{ payload: job }]);
    expect(typeof wrongTopic).toBe('function');
  });

  it('keys email-jobs by mailbox so one mailbox stays on one partition in order', async () => {
    const groupId = `ordering.${randomUUID()}`;
    const received = collector<ConsumedMessage<'email-jobs'>>();
    const mailboxId = randomUUID();
    const member = await startMember('email-jobs', groupId, async (message) => {
      if (message.payload.mailbox_id === mailboxId) received.push(message);
    });
    await member.joined;
    const jobs = Array.from({ length: 30 }, (_, index) => ({
      ...samples['email-jobs'](),
      mailbox_id: mailboxId,
      step_order: index + 1,
    }));
    await producer.send(
      'email-jobs',
      jobs.map((payload) => ({ payload })),
    );
    await received.until(() => received.items.length >= jobs.length);
    expect(new Set(received.items.map((message) => message.partition)).size).toBe(1);
    expect(received.items.map((message) => message.payload.step_order)).toEqual(jobs.map((job) => job.step_order));
    expect(received.items[0]?.key).toBe(mailboxId);
    await member.stop();
  });

  it('dead-letters an undecodable message and a rejected one, and keeps the partition flowing', async () => {
    const groupId = `poison.${randomUUID()}`;
    const handled = collector<ConsumedMessage<'followup-events'>>();
    const letters = collector<ConsumedMessage<typeof deadLetterTopic>>();
    const lettered = collector<DeadLetterInfo<'followup-events'>>();
    const rejectedId = randomUUID();
    const sequenceContactId = randomUUID();
    const member = await startMember(
      'followup-events',
      groupId,
      async (message) => {
        if (message.payload.email_id === rejectedId) {
          throw new AppError('STEP_NOT_FOUND', 'no such step', { retryable: false });
        }
        if (message.payload.sequence_contact_id === sequenceContactId) handled.push(message);
      },
      undefined,
      undefined,
      (info) => lettered.push(info),
    );
    const letterReader = await startMember(deadLetterTopic, `letters.${randomUUID()}`, async (message) => {
      if (message.payload.consumer_group === `${stack.topicPrefix}${groupId}`) letters.push(message);
    });
    await Promise.all([member.joined, letterReader.joined]);

    const good = { ...samples['followup-events'](), sequence_contact_id: sequenceContactId };
    const rejected = { ...samples['followup-events'](), sequence_contact_id: sequenceContactId, email_id: rejectedId };
    const after = { ...samples['followup-events'](), sequence_contact_id: sequenceContactId };
    // Raw garbage on the same key (so the same partition), between valid messages.
    const raw = createKafka({ brokers: stack.broker.brokers, clientId: 'raw', logger }).kafka.producer();
    await raw.connect();
    await producer.send('followup-events', [{ payload: good }]);
    await raw.send({
      topic: `${stack.topicPrefix}followup-events`,
      messages: [
        { key: sequenceContactId, value: Buffer.from('not avro'), headers: { 'outflow-message-id': 'garbage-1' } },
      ],
    });
    await producer.send('followup-events', [{ payload: rejected }, { payload: after }]);
    await raw.disconnect();

    await handled.until(() => handled.items.length >= 2);
    await letters.until(() => letters.items.length >= 2);
    expect(handled.items.map((message) => message.payload.event_id)).toEqual([good.event_id, after.event_id]);
    const byCode = Object.fromEntries(letters.items.map((letter) => [letter.payload.error_code, letter.payload]));
    expect(byCode['DECODE_FAILED']?.value?.toString()).toBe('not avro');
    expect(byCode['DECODE_FAILED']?.headers['outflow-message-id']).toBe('garbage-1');
    // A dead letter names the group and topic as they are on the cluster, prefix included.
    expect(byCode['STEP_NOT_FOUND']?.consumer_group).toBe(`${stack.topicPrefix}${groupId}`);
    expect(byCode['STEP_NOT_FOUND']?.source_topic).toBe(`${stack.topicPrefix}followup-events`);
    // The member's own bookkeeping hears of both, with what of each message could be read.
    await lettered.until(() => lettered.items.length >= 2);
    const infoByCode = Object.fromEntries(lettered.items.map((info) => [info.error.code, info]));
    expect(infoByCode['DECODE_FAILED']?.headers?.messageId).toBe('garbage-1');
    expect(infoByCode['DECODE_FAILED']?.payload).toBeUndefined();
    expect(infoByCode['STEP_NOT_FOUND']?.payload?.email_id).toBe(rejectedId);
    expect(infoByCode['STEP_NOT_FOUND']?.headers?.messageId).toEqual(expect.any(String));
    await member.stop();
    await letterReader.stop();
  });

  it('retries a handler that fails transiently without skipping or dead-lettering the message', async () => {
    const groupId = `transient.${randomUUID()}`;
    const handled = collector<string>();
    let failuresLeft = 2;
    const retry = samples['email-retries']();
    const member = await startMember('email-retries', groupId, async (message) => {
      if (message.payload.event_id !== retry.event_id) return;
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('connection terminated unexpectedly');
      }
      handled.push(message.payload.event_id);
    });
    await member.joined;
    await producer.send('email-retries', [{ payload: retry }]);
    await handled.until(() => handled.items.length >= 1);
    expect(handled.items).toEqual([retry.event_id]);
    expect(failuresLeft).toBe(0);
    await member.stop();
  });

  it('dead-letters a message whose statement the database refuses, and retries one whose statement timed out', async () => {
    const database = await createTestDatabase();
    try {
      const groupId = `rejected.${randomUUID()}`;
      const handled = collector<string>();
      const lettered = collector<DeadLetterInfo<'email-retries'>>();
      const refused = samples['email-retries']();
      const slow = { ...samples['email-retries'](), sequence_contact_id: refused.sequence_contact_id };
      let timeoutsLeft = 1;
      const member = await startMember(
        'email-retries',
        groupId,
        async (message) => {
          if (message.payload.event_id === refused.event_id) {
            // A value the column's type refuses fails the same way every time.
            await sql`select ${'not a number'}::int`.execute(database.db);
          }
          if (message.payload.event_id === slow.event_id && timeoutsLeft > 0) {
            timeoutsLeft -= 1;
            await database.db.transaction().execute(async (trx) => {
              await sql`set local statement_timeout = 20`.execute(trx);
              await sql`select pg_sleep(2)`.execute(trx);
            });
          }
          if ([refused.event_id, slow.event_id].includes(message.payload.event_id)) {
            handled.push(message.payload.event_id);
          }
        },
        undefined,
        undefined,
        (info) => lettered.push(info),
      );
      await member.joined;
      await producer.send('email-retries', [{ payload: refused }, { payload: slow }]);
      await handled.until(() => handled.items.length >= 1);
      await lettered.until(() => lettered.items.length >= 1);
      expect(handled.items).toEqual([slow.event_id]);
      expect(timeoutsLeft).toBe(0);
      expect(lettered.items.map((info) => [info.payload?.event_id, info.error.code, info.error.retryable])).toEqual([
        [refused.event_id, 'DATABASE_REJECTED', false],
      ]);
      expect(lettered.items[0]!.error.details).toMatchObject({ sqlState: '22P02' });
      await member.stop();
    } finally {
      await database.drop();
    }
  });

  it('handles messages of one partition concurrently with messageConcurrency, retrying a failing one in place', async () => {
    const groupId = `concurrent.${randomUUID()}`;
    const retries = Array.from({ length: 30 }, () => samples['email-retries']());
    const ours = new Set(retries.map((retry) => retry.event_id));
    const failing = retries[7]!.event_id;
    let failuresLeft = 2;
    let inFlight = 0;
    let mostInFlight = 0;
    const handled = collector<string>();
    const member = await startMember(
      'email-retries',
      groupId,
      async (message) => {
        if (!ours.has(message.payload.event_id)) return;
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        // Yield a few turns, so handlers of one chunk overlap.
        for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        if (message.payload.event_id === failing && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('connection terminated unexpectedly');
        }
        handled.push(message.payload.event_id);
      },
      undefined,
      8,
    );
    await member.joined;
    // One key: every message on one partition, fetched together.
    await producer.send(
      'email-retries',
      retries.map((payload) => ({ payload, key: 'one-partition' })),
    );
    await handled.until(() => new Set(handled.items).size >= retries.length);
    expect(new Set(handled.items)).toEqual(ours);
    expect(handled.items.filter((id) => id === failing)).toHaveLength(1);
    expect(failuresLeft).toBe(0);
    expect(mostInFlight).toBeGreaterThan(1);
    expect(mostInFlight).toBeLessThanOrEqual(8);
    await member.stop();
  });

  it('refuses to produce a payload that does not match the topic schema', () => {
    const bad = { ...samples['email-jobs'](), step_order: 'two' } as unknown as EmailJob;
    expect(() => codec.encode('email-jobs', bad)).toThrow(/does not match its schema at: step_order/);
    const notAnId = { ...samples['email-jobs'](), email_id: 'abc' };
    expect(() => codec.encode('email-jobs', notAnId)).toThrow(/does not match its schema at: email_id/);
  });

  it('refuses to decode a message whose uuid field holds something else, so it is dead-lettered', async () => {
    const job = samples['email-jobs']();
    const encoded = codec.encode('email-jobs', job);
    // Same length, so the Avro body stays well-formed: only the uuid annotation can catch it.
    const forged = Buffer.from(encoded.toString('latin1').replace(job.email_id, 'x'.repeat(36)), 'latin1');
    expect(forged.equals(encoded)).toBe(false);
    await expect(codec.decode('email-jobs', forged)).rejects.toMatchObject({
      code: 'DECODE_FAILED',
      retryable: false,
      message: expect.stringMatching(/not a UUID/),
    });
    await expect(codec.decode('email-jobs', encoded)).resolves.toEqual(job);
  });

  it('creates the missing product topics with their partition counts, and names them when the cluster refuses', async () => {
    const namePrefix = `${stack.topicPrefix}ensured.`;
    const handle = createKafka({ brokers: stack.broker.brokers, clientId: 'topics', logger, namePrefix });
    await ensureTopics(handle);
    await ensureTopics(handle);
    const admin = handle.kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: topicNames.map((topic) => handle.topic(topic)) });
      expect(Object.fromEntries(topics.map((topic) => [topic.name, topic.partitions.length]))).toEqual(
        Object.fromEntries(topicNames.map((topic) => [handle.topic(topic), topicContracts[topic].partitions])),
      );
    } finally {
      await admin.disconnect();
    }
    // The test cluster has one node: three replicas cannot be placed.
    const refused = createKafka({
      brokers: stack.broker.brokers,
      clientId: 'topics',
      logger,
      namePrefix: `${namePrefix}x.`,
    });
    await expect(ensureTopics(refused, { replicationFactor: 3 })).rejects.toThrow(
      new RegExp(`creating the topics ${namePrefix}x\\.email-jobs, .* failed`),
    );
  });

  it('reports an unreachable broker with the variable to fix, instead of hanging', async () => {
    await expect(assertKafkaReachable(['127.0.0.1:1'], 500)).rejects.toThrow(
      /cannot reach Kafka at 127\.0\.0\.1:1 \(KAFKA_BROKERS\)/,
    );
  });
});
