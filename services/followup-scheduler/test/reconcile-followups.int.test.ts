import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createTestDatabase, seedEnrolledEmail, type TestDatabase } from '@outflow/db/testing';
import { testLogger } from '@outflow/stack';
import { enrollmentStatus } from './enrollment-status.js';
import { scheduleNextSteps } from '../src/followups/followup.repository.js';
import { reconcileFollowups } from '../src/followups/reconcile-followups.js';

const logger = testLogger('followup-reconcile-test');
const settings = { afterMs: 0, daySeconds: 86_400 };

/**
 * Marks emails sent as the sender records them: the status and the `sent` event in one statement, with the same
 * time, and no follow-up event anywhere, as if it was lost. The time is 5 ms back: a scan window ends at a whole
 * millisecond, so an email sent in the very millisecond the reconciliation starts is left to its next pass (on a
 * fast machine the test's next statement can run in that millisecond). 5 ms back may be before where an earlier
 * test's pass got to, though, so the scan's progress is moved back to just before it, as it is for an email sent
 * after the last pass: without that, a test that runs within 5 ms of the previous one finds nothing.
 */
async function markSent(test: TestDatabase, emailIds: string[]) {
  await sql`
    with sent as (
      update email_queues set status = 'sent', sent_at = now() - interval '5 milliseconds'
      where id = any(${emailIds}::uuid[])
      returning id, sequence_id, contact_id, mailbox_id, sent_at
    ), unscanned as (
      update followup_scan_progress
      -- A whole millisecond, as the scan's own bounds are (see nextSentWindow).
      set scanned_to = least(scanned_to, date_trunc('milliseconds', (select min(sent_at) from sent) - interval '1 millisecond'))
    )
    insert into email_events (email_queue_id, sequence_id, contact_id, mailbox_id, type, event_key, occurred_at)
    select id, sequence_id, contact_id, mailbox_id, 'sent', 'sent:' || id, sent_at from sent
  `.execute(test.db);
}

/** A two-step enrollment whose first email was sent and whose follow-up event never came. */
async function seedTwoSteps(test: TestDatabase) {
  const seeded = await seedEnrolledEmail(test.db);
  await test.db
    .insertInto('steps')
    .values({ sequence_id: seeded.sequence.id, step_order: 2, subject: 'Again', content: 'Hello again', wait_days: 0 })
    .execute();
  return seeded;
}

const stepsOf = (test: TestDatabase, enrollmentId: string) =>
  test.db
    .selectFrom('email_queues')
    .select(['step_order', 'status'])
    .where('sequence_contact_id', '=', enrollmentId)
    .orderBy('step_order')
    .execute();

describe('follow-up reconciliation', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('schedules the next step of a sent email whose event was lost, once', async () => {
    const { enrollment, email } = await seedTwoSteps(test);
    await markSent(test, [email.id]);
    // Sent 5 ms back (see markSent), so "older than 0 ms" holds without waiting.
    expect(await reconcileFollowups({ db: test.db, logger }, settings)).toBe(1);
    expect(await stepsOf(test, enrollment.id)).toEqual([
      { step_order: 1, status: 'sent' },
      { step_order: 2, status: 'scheduled' },
    ]);
    expect(await reconcileFollowups({ db: test.db, logger }, settings)).toBe(0);
  });

  it('leaves a sent email alone within its grace period, and rebuilds its follow-up after it', async () => {
    const { enrollment, email } = await seedTwoSteps(test);
    await markSent(test, [email.id]);
    expect(await reconcileFollowups({ db: test.db, logger }, { ...settings, afterMs: 3_600_000 })).toBe(0);
    expect(await stepsOf(test, enrollment.id)).toEqual([{ step_order: 1, status: 'sent' }]);
    expect(await reconcileFollowups({ db: test.db, logger }, settings)).toBe(1);
    expect(await stepsOf(test, enrollment.id)).toHaveLength(2);
  });

  it('does nothing for an email whose event was handled, nor for one whose enrollment stopped', async () => {
    const handled = await seedTwoSteps(test);
    const stopped = await seedTwoSteps(test);
    await markSent(test, [handled.email.id, stopped.email.id]);
    const event = {
      emailId: handled.email.id,
      sequenceContactId: handled.enrollment.id,
      sequenceId: handled.sequence.id,
      stepOrder: 1,
      sentAt: new Date(),
      traceContext: null,
    };
    expect(await scheduleNextSteps(test.db, [event], 86_400)).toEqual(['scheduled']);
    await sql`update sequence_contacts set status = 'unsubscribed' where id = ${stopped.enrollment.id}`.execute(
      test.db,
    );
    expect(await reconcileFollowups({ db: test.db, logger }, settings)).toBe(0);
    expect(await stepsOf(test, handled.enrollment.id)).toHaveLength(2);
    expect(await stepsOf(test, stopped.enrollment.id)).toEqual([{ step_order: 1, status: 'sent' }]);
  });

  it('completes an enrollment whose last step was sent and whose event was lost', async () => {
    const { enrollment, email } = await seedEnrolledEmail(test.db);
    await markSent(test, [email.id]);
    expect(await reconcileFollowups({ db: test.db, logger }, settings)).toBe(1);
    expect(await enrollmentStatus(test.db, enrollment.id)).toBe('completed');
  });

  it('checks window by window, without missing emails sent in the same instant across a window edge', async () => {
    const seeded = await Promise.all([1, 2, 3, 4, 5].map(() => seedTwoSteps(test)));
    // One statement: five sent events with the same time, while each window holds about two.
    await markSent(
      test,
      seeded.map(({ email }) => email.id),
    );
    expect(await reconcileFollowups({ db: test.db, logger }, { ...settings, emailsPerWindow: 2 })).toBe(5);
    for (const { enrollment } of seeded) expect(await stepsOf(test, enrollment.id)).toHaveLength(2);
  });

  it('goes on from a progress set by hand to a time with microseconds', async () => {
    const { enrollment, email } = await seedEnrolledEmail(test.db);
    await markSent(test, [email.id]);
    await sql`update followup_scan_progress set scanned_to = scanned_to - interval '1.5 milliseconds'`.execute(test.db);
    expect(await reconcileFollowups({ db: test.db, logger }, settings)).toBe(1);
    expect(await enrollmentStatus(test.db, enrollment.id)).toBe('completed');
  });

  it('saves its progress: a stopped pass checks nothing, and passes of two replicas at once rebuild each once', async () => {
    const seeded = await Promise.all([1, 2, 3].map(() => seedEnrolledEmail(test.db)));
    for (const { email } of seeded) await markSent(test, [email.id]);
    expect(await reconcileFollowups({ db: test.db, logger }, settings, () => true)).toBe(0);
    const progressBefore = await test.db.selectFrom('followup_scan_progress').select('scanned_to').execute();

    const replicas = await Promise.all(
      [1, 2].map(() => reconcileFollowups({ db: test.db, logger }, { ...settings, emailsPerWindow: 1 })),
    );
    // Both may check the same window (harmless: the statement is idempotent); together they see all three.
    expect(replicas[0]! + replicas[1]!).toBeGreaterThanOrEqual(3);
    for (const { enrollment } of seeded) expect(await enrollmentStatus(test.db, enrollment.id)).toBe('completed');
    const [progressAfter] = await test.db.selectFrom('followup_scan_progress').select('scanned_to').execute();
    expect(progressAfter!.scanned_to.getTime()).toBeGreaterThan(progressBefore[0]!.scanned_to.getTime());
    expect(await reconcileFollowups({ db: test.db, logger }, settings)).toBe(0);
  });
});
