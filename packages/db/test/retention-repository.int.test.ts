import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { countPrunable, createApiKey, pruneSome, retentionKinds, uuidV7Floor } from '../src/index.js';
import { createTestDatabase, seedEnrolledEmail, type TestDatabase } from '../src/testing/index.js';

describe('retention repository', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

  it('finds the uuid_v7 ids made before a moment by their leading time bits', async () => {
    const { rows } = await sql<{ before: boolean; after: boolean }>`
      select uuid_v7() > ${uuidV7Floor(new Date(Date.now() - 1_000))}::uuid as before,
        uuid_v7() < ${uuidV7Floor(new Date(Date.now() + 1_000))}::uuid as after
    `.execute(database.db);
    expect(rows[0]).toEqual({ before: true, after: true });
    expect(uuidV7Floor(new Date(0x0193a4b2_77c1))).toBe('0193a4b2-77c1-0000-0000-000000000000');
  });

  it('prunes only what is old and no longer needed, a batch at a time, and counts it first', async () => {
    const seeded = await seedEnrolledEmail(database.db);
    const { db } = database;
    const old = daysAgo(40);
    const cutoff = daysAgo(30);
    // The audit trail: an old row (as the trigger writes them, with a uuid_v7 of its time) and today's own.
    const oldId = `${uuidV7Floor(old).slice(0, 14)}7${randomUUID().slice(15)}`;
    await sql`
      insert into delivery_events (id, email_queue_id, from_status, to_status, attempts, occurred_at)
      values (${oldId}::uuid, ${seeded.email.id}, null, 'queued', 0, ${old})
    `.execute(db);
    // Publish records: old and done, old and still in flight, recent and done.
    for (const [status, created] of [
      ['published', old],
      ['claimed', old],
      ['published', daysAgo(1)],
    ] as const) {
      await sql`
        insert into kafka_batches (topic, claim_token, message_count, email_ids, status, created_at)
        values ('email-jobs', gen_random_uuid(), 1, array[${seeded.email.id}]::uuid[], ${status}, ${created})
      `.execute(db);
    }
    const { id: apiKeyId } = await createApiKey(db, 'retention');
    for (const [key, created] of [
      ['old', old],
      ['new', new Date()],
    ] as const) {
      await sql`
        insert into idempotency_keys (api_key_id, key, method, path, request_hash, created_at)
        values (${apiKeyId}, ${key}, 'POST', '/api/v1/sequences', 'h', ${created})
      `.execute(db);
    }
    // Capacity counters: an old closed day, an old day with a reservation still open, today.
    for (const [day, reserved] of [
      [old, 0],
      [daysAgo(35), 1],
      [new Date(), 0],
    ] as const) {
      await sql`
        insert into mailbox_daily_counts (mailbox_id, day, sent_count, reserved_count)
        values (${seeded.mailbox.id}, ${day}::date, 3, ${reserved})
      `.execute(db);
    }

    for (const kind of retentionKinds) expect([kind, await countPrunable(db, kind, cutoff)]).toEqual([kind, 1]);
    for (const kind of retentionKinds) {
      expect([kind, await pruneSome(db, kind, cutoff, 1)]).toEqual([kind, 1]);
      expect([kind, await pruneSome(db, kind, cutoff, 1)]).toEqual([kind, 0]);
    }
    const left = async (table: string) =>
      Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]!.n);
    expect(await left('kafka_batches')).toBe(2);
    expect(await left('idempotency_keys')).toBe(1);
    expect(await left('mailbox_daily_counts')).toBe(2);
    const audit = await db
      .selectFrom('delivery_events')
      .select('id')
      .where('email_queue_id', '=', seeded.email.id)
      .execute();
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.map((row) => row.id)).not.toContain(oldId);
  });
});
