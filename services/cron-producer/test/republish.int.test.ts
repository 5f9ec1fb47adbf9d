import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { reclaimStaleEmails } from '@outflow/db';
import { createTestDatabase, seedEnrolledEmail, type TestDatabase } from '@outflow/db/testing';

describe('republishing claims that stay queued', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  const claimedSecondsAgo = async (id: string, seconds: number) => {
    await test.db
      .updateTable('email_queues')
      .set({ claimed_at: sql`now() - make_interval(secs => ${seconds})` })
      .where('id', '=', id)
      .execute();
  };
  const republished = async () => (await reclaimStaleEmails(test.db, 1_000, 100)).map((email) => email.id);

  it('waits twice as long before each new copy, so a slow backlog is not flooded with copies of itself', async () => {
    const { email } = await seedEnrolledEmail(test.db);
    const token = randomUUID();
    await test.db
      .updateTable('email_queues')
      .set({ status: 'queued', claim_token: token, claimed_at: sql`now()`, capacity_day: sql`current_date` })
      .where('id', '=', email.id)
      .execute();

    await claimedSecondsAgo(email.id, 0.5);
    expect(await republished()).toEqual([]);
    await claimedSecondsAgo(email.id, 1.5);
    expect(await republished()).toEqual([email.id]); // first copy after 1 s

    await claimedSecondsAgo(email.id, 1.5);
    expect(await republished()).toEqual([]); // the second waits 2 s
    await claimedSecondsAgo(email.id, 2.5);
    expect(await republished()).toEqual([email.id]);

    await claimedSecondsAgo(email.id, 3.5);
    expect(await republished()).toEqual([]); // the third waits 4 s
    await claimedSecondsAgo(email.id, 4.5);
    expect(await republished()).toEqual([email.id]);

    const row = await test.db
      .selectFrom('email_queues')
      .select(['republish_count', 'claim_token', 'status'])
      .where('id', '=', email.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ republish_count: 3, claim_token: token, status: 'queued' });
  });
});
