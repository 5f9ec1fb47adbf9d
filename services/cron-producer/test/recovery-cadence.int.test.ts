import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createTestDatabase, seedEnrolledEmail, seedMoreEnrolledEmails, type TestDatabase } from '@outflow/db/testing';
import { createKafka, createSchemaCodec, createTypedProducer, type TypedProducer } from '@outflow/kafka';
import { startTestStack, testLogger, type TestStack } from '@outflow/stack';
import { createProducerTick } from '../src/claims/producer.tick.js';

const logger = testLogger('recovery-cadence-test');

/**
 * The recovery passes run on their own cadence: at the first tick, then once per interval, and at once again
 * while a pass comes back full (a backlog of lost claims after an outage is worked off tick by tick).
 */
describe('the producer tick recovers lost claims on its own cadence', () => {
  let stack: TestStack;
  let test: TestDatabase;
  let producer: TypedProducer;
  let sequenceId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    test = await createTestDatabase();
    const codec = createSchemaCodec({ registryUrl: stack.registry.url });
    await codec.registerAll();
    const kafka = createKafka({
      brokers: stack.broker.brokers,
      clientId: 'recovery-test',
      logger,
      namePrefix: stack.topicPrefix,
    });
    producer = await createTypedProducer({ kafka, codec });
    const seeded = await seedEnrolledEmail(test.db);
    sequenceId = seeded.sequence.id;
    // 1 000 more enrollments, each with one email, all in the sequence of the seeded one.
    await seedMoreEnrolledEmails(test.db, seeded, 1_000, '1 day');
  }, 60_000);
  afterAll(async () => {
    await producer?.disconnect();
    await test?.drop();
    await stack?.close();
  });

  /** Makes `count` of the sequence's emails claims lost ten minutes ago (never republished), the rest scheduled. */
  const loseClaims = async (count: number) => {
    await sql`
      update email_queues set status = 'scheduled', claim_token = null, claimed_at = null, capacity_day = null,
        republish_count = 0
      where sequence_id = ${sequenceId}
    `.execute(test.db);
    await sql`
      update email_queues set status = 'queued', claim_token = ${randomUUID()}, republish_count = 0,
        claimed_at = now() - interval '10 minutes', capacity_day = current_date, scheduled_for = now() + interval '1 day'
      where id in (select id from email_queues where sequence_id = ${sequenceId} order by id limit ${count})
    `.execute(test.db);
  };

  const tickAt = () => {
    let clock = 1_000_000;
    const tick = createProducerTick(
      { db: test.db, producer, logger, producerId: 'recovery-test' },
      {
        daySeconds: 86_400,
        batchSize: 100,
        maxPerMailbox: 500,
        maxQueued: 10_000,
        republishAfterMs: 1_000,
        recoveryIntervalMs: 5_000,
      },
      () => clock,
    );
    return async (ms: number) => {
      clock = 1_000_000 + ms;
      return tick();
    };
  };

  it('recovers at the first tick, then only once the interval has passed', async () => {
    const tick = tickAt();
    await loseClaims(1);
    expect(await tick(0)).toMatchObject({ republished: 1 });

    await loseClaims(1);
    expect(await tick(1_000)).toMatchObject({ republished: 0 });
    expect(await tick(4_999)).toMatchObject({ republished: 0 });
    expect(await tick(5_000)).toMatchObject({ republished: 1 });
  }, 60_000);

  it('goes on at the next tick while a pass comes back full', async () => {
    const tick = tickAt();
    await loseClaims(1_001);
    expect(await tick(0)).toMatchObject({ republished: 1_000 });
    expect(await tick(1)).toMatchObject({ republished: 1 });
    // That pass was not full: back to the interval.
    await loseClaims(1);
    expect(await tick(2)).toMatchObject({ republished: 0 });
    expect(await tick(5_001)).toMatchObject({ republished: 1 });
  }, 60_000);
});
