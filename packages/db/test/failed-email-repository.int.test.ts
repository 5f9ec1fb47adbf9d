import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { countFailedEmails, listFailedEmails, requeueFailedEmail } from '../src/index.js';
import { createTestDatabase, seedEnrolledEmail, seedFailedEmail, type TestDatabase } from '../src/testing/index.js';

describe('failed email repository', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** A failed email (seedFailedEmail) as a claim leaves it, failed `failedAgo`. */
  const seedFailed = async (failedAgo: string) => {
    const seeded = await seedFailedEmail(database.db);
    await sql`
      update email_queues set claim_token = gen_random_uuid(), claimed_at = now(), capacity_day = current_date
      where id = ${seeded.email.id}
    `.execute(database.db);
    // updated_at is set by a trigger on update; backdate it apart, as the failure's time.
    await sql`alter table email_queues disable trigger email_queues_set_updated_at`.execute(database.db);
    await sql`update email_queues set updated_at = now() - ${failedAgo}::interval where id = ${seeded.email.id}`.execute(
      database.db,
    );
    await sql`alter table email_queues enable trigger email_queues_set_updated_at`.execute(database.db);
    return seeded;
  };

  it('lists permanent failures newest first, by time and sequence, and pages oldest first after a cursor', async () => {
    const old = await seedFailed('3 days');
    const recent = await seedFailed('2 hours');
    const newest = await seedFailed('5 minutes');
    await seedEnrolledEmail(database.db); // scheduled: never listed

    const { emails: all } = await listFailedEmails(database.db, { limit: 10 });
    expect(all.map((email) => email.id)).toEqual([newest.email.id, recent.email.id, old.email.id]);
    expect(all[0]).toMatchObject({
      recipient: newest.contact.email,
      mailbox: newest.mailbox.email,
      sequenceName: 'Seeded',
      stepOrder: 1,
      attempts: 4,
      retries: 3,
      errorCode: '550',
      errorMessage: 'no such user',
    });
    const since = new Date(Date.now() - 86_400_000);
    expect((await listFailedEmails(database.db, { since, limit: 10 })).emails.map((email) => email.id)).toEqual([
      newest.email.id,
      recent.email.id,
    ]);
    expect(await countFailedEmails(database.db, { since })).toBe(2);
    expect(
      (await listFailedEmails(database.db, { sequenceId: recent.sequence.id, limit: 10 })).emails.map(
        (email) => email.id,
      ),
    ).toEqual([recent.email.id]);
    // Oldest first, two at a time; the cursor keeps the exact (microsecond) times.
    const firstPage = await listFailedEmails(database.db, { oldestFirst: true, limit: 2 });
    expect(firstPage.emails.map((email) => email.id)).toEqual([old.email.id, recent.email.id]);
    const nextPage = await listFailedEmails(database.db, { oldestFirst: true, after: firstPage.next, limit: 2 });
    expect(nextPage.emails.map((email) => email.id)).toEqual([newest.email.id]);
    expect((await listFailedEmails(database.db, { oldestFirst: true, after: nextPage.next, limit: 2 })).emails).toEqual(
      [],
    );

    for (const seeded of [old, recent, newest]) {
      await database.db
        .updateTable('email_queues')
        .set({ status: 'cancelled' })
        .where('id', '=', seeded.email.id)
        .execute();
    }
  });

  it('sends a permanent failure again with fresh retries, its enrollment active, the reason recorded', async () => {
    const failed = await seedFailed('1 hour');
    expect(await requeueFailedEmail(database.db, failed.email.id, { text: 'DNS fixed', by: 'test' })).toEqual({
      id: failed.email.id,
      requeued: true,
    });
    const email = await database.db
      .selectFrom('email_queues')
      .selectAll()
      .where('id', '=', failed.email.id)
      .executeTakeFirstOrThrow();
    expect(email).toMatchObject({
      status: 'scheduled',
      retry_count: 0,
      attempts: 4,
      claim_token: null,
      claimed_at: null,
      capacity_day: null,
      failure_kind: null,
    });
    expect(email.scheduled_for.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    const enrollment = await database.db
      .selectFrom('sequence_contacts')
      .select('status')
      .where('id', '=', failed.enrollment.id)
      .executeTakeFirstOrThrow();
    expect(enrollment.status).toBe('active');
    const events = await database.db
      .selectFrom('email_events')
      .select(['type', 'metadata'])
      .where('email_queue_id', '=', failed.email.id)
      .execute();
    expect(events).toEqual([{ type: 'retry_scheduled', metadata: { manual: true, reason: 'DNS fixed', by: 'test' } }]);
    // The delivery audit trail saw the change from failed back to queued.
    const { rows: audit } = await sql<{ from_status: string; to_status: string }>`
      select de.from_status::text, de.to_status::text from delivery_events de
      where de.email_queue_id = ${failed.email.id} order by de.occurred_at desc, de.id desc limit 1
    `.execute(database.db);
    expect(audit).toEqual([{ from_status: 'failed', to_status: 'queued' }]);

    // Once requeued it is no longer a failure: a second request is refused.
    expect(await requeueFailedEmail(database.db, failed.email.id, { text: 'again', by: 'test' })).toEqual({
      id: failed.email.id,
      requeued: false,
      reason: 'it is scheduled, not a permanent failure',
    });
  });

  it('never sends again an email that was sent or is uncertain, nor one whose enrollment ended otherwise', async () => {
    const sent = await seedEnrolledEmail(database.db);
    await database.db
      .updateTable('email_queues')
      .set({ status: 'sent', sent_at: new Date() })
      .where('id', '=', sent.email.id)
      .execute();
    const uncertain = await seedEnrolledEmail(database.db);
    await database.db
      .updateTable('email_queues')
      .set({ status: 'uncertain' })
      .where('id', '=', uncertain.email.id)
      .execute();
    const unsubscribed = await seedFailed('1 hour');
    await database.db
      .updateTable('sequence_contacts')
      .set({ status: 'unsubscribed' })
      .where('id', '=', unsubscribed.enrollment.id)
      .execute();
    const reason = { text: 'try', by: 'test' };
    expect(await requeueFailedEmail(database.db, sent.email.id, reason)).toMatchObject({
      requeued: false,
      reason: 'it is sent, not a permanent failure',
    });
    expect(await requeueFailedEmail(database.db, uncertain.email.id, reason)).toMatchObject({
      requeued: false,
      reason: 'it is uncertain, not a permanent failure',
    });
    expect(await requeueFailedEmail(database.db, unsubscribed.email.id, reason)).toMatchObject({
      requeued: false,
      reason: 'its enrollment is unsubscribed',
    });
    expect(await requeueFailedEmail(database.db, '00000000-0000-0000-0000-00000000abcd', reason)).toMatchObject({
      requeued: false,
      reason: 'no such email',
    });
    const statuses = await database.db
      .selectFrom('email_queues')
      .select(['id', 'status'])
      .where('id', 'in', [sent.email.id, uncertain.email.id, unsubscribed.email.id])
      .execute();
    expect(Object.fromEntries(statuses.map((row) => [row.id, row.status]))).toEqual({
      [sent.email.id]: 'sent',
      [uncertain.email.id]: 'uncertain',
      [unsubscribed.email.id]: 'permanent_failure',
    });
  });
});
