import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createTestDatabase, seedEnrolledEmail, type TestDatabase } from '@outflow/db/testing';
import { scheduleNextSteps, type SentStep } from '../src/followups/followup.repository.js';
import { enrollmentStatus } from './enrollment-status.js';

/** A sent first step; with `secondStepWaitDays` the sequence has a second step with that wait. */
async function seedSent(test: TestDatabase, secondStepWaitDays?: number) {
  const seeded = await seedEnrolledEmail(test.db);
  if (secondStepWaitDays !== undefined) {
    await test.db
      .insertInto('steps')
      .values({
        sequence_id: seeded.sequence.id,
        step_order: 2,
        subject: 'Again',
        content: 'Hello again',
        wait_days: secondStepWaitDays,
      })
      .execute();
  }
  await sql`update email_queues set status = 'sent', sent_at = now() where id = ${seeded.email.id}`.execute(test.db);
  const event: SentStep = {
    emailId: seeded.email.id,
    sequenceContactId: seeded.enrollment.id,
    sequenceId: seeded.sequence.id,
    stepOrder: 1,
    sentAt: new Date('2026-11-23T10:00:00Z'),
    traceContext: null,
  };
  return { ...seeded, event };
}

describe('scheduling follow-ups in batches', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('handles every kind of event in one batch, each with its own outcome, and leaves the sent emails as they were', async () => {
    const next = await seedSent(test, 2);
    const last = await seedSent(test);
    const cancelled = await seedSent(test, 1);
    await sql`update sequence_contacts set status = 'cancelled' where id = ${cancelled.enrollment.id}`.execute(test.db);
    const sentIds = [next.email.id, last.email.id, cancelled.email.id];
    // A row's xmin is the transaction that wrote its current version: unchanged means not rewritten.
    const sentVersions = () =>
      sql<{ id: string; xmin: string }>`select id, xmin::text from email_queues where id = any(${sentIds}) order by id`
        .execute(test.db)
        .then((result) => result.rows);
    const versionsBefore = await sentVersions();
    const outcomes = await scheduleNextSteps(test.db, [next.event, last.event, cancelled.event, next.event], 86_400);
    expect(outcomes).toEqual(['scheduled', 'completed', 'enrollment-inactive', 'already-done']);

    const scheduled = await test.db
      .selectFrom('email_queues')
      .select(['sequence_contact_id', 'step_order', 'scheduled_for', 'status'])
      .where('step_order', '=', 2)
      .where('sequence_contact_id', 'in', [next.enrollment.id, cancelled.enrollment.id])
      .execute();
    // sent_at + 2 days, from the event's own send time.
    expect(scheduled).toEqual([
      {
        sequence_contact_id: next.enrollment.id,
        step_order: 2,
        scheduled_for: new Date('2026-11-25T10:00:00Z'),
        status: 'scheduled',
      },
    ]);
    expect(await enrollmentStatus(test.db, last.enrollment.id)).toBe('completed');
    expect(await sentVersions()).toEqual(versionsBefore);

    // Redelivered later: nothing new.
    expect(await scheduleNextSteps(test.db, [next.event, last.event], 86_400)).toEqual([
      'already-done',
      'enrollment-inactive',
    ]);
  });

  it.each([
    ['a next step', 1],
    ['no next step', undefined],
  ])(
    'sees an unenrollment committed while it waited for the lock (%s): nothing scheduled or completed',
    async (_, waitDays) => {
      const seeded = await seedSent(test, waitDays);
      let commit!: () => void;
      const committed = new Promise<void>((resolve) => {
        commit = resolve;
      });
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      // The API cancelling the enrollment: it holds the row until the scheduler is waiting for it, then commits.
      const cancelling = test.db.transaction().execute(async (trx) => {
        await sql`update sequence_contacts set status = 'cancelled' where id = ${seeded.enrollment.id}`.execute(trx);
        locked();
        await committed;
      });
      await isLocked;
      const scheduling = scheduleNextSteps(test.db, [seeded.event], 86_400);
      for (;;) {
        const { rows } = await sql<{ waiting: number }>`
        select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like '%with event as%'
      `.execute(test.db);
        if (rows[0]!.waiting > 0) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      commit();
      await cancelling;
      expect(await scheduling).toEqual(['enrollment-inactive']);
      const stepTwo = await test.db
        .selectFrom('email_queues')
        .select('id')
        .where('sequence_contact_id', '=', seeded.enrollment.id)
        .where('step_order', '=', 2)
        .execute();
      expect(stepTwo).toEqual([]);
      expect(await enrollmentStatus(test.db, seeded.enrollment.id)).toBe('cancelled');
    },
  );
});
