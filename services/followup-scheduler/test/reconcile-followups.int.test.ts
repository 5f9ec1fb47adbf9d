import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createTestDatabase, seedEnrolledEmail, type TestDatabase } from '@outflow/db/testing';
import { testLogger } from '@outflow/stack';
import { scheduleNextStep } from '../src/followups/followup.repository.js';
import { reconcileFollowups } from '../src/followups/reconcile-followups.js';

const logger = testLogger('followup-reconcile-test');

/** A two-step enrollment whose first email was sent (as the sender records it) and whose event never came. */
async function seedSentFirstStep(test: TestDatabase) {
  const seeded = await seedEnrolledEmail(test.db);
  await test.db
    .insertInto('steps')
    .values({ sequence_id: seeded.sequence.id, step_order: 2, subject: 'Again', content: 'Hello again', wait_days: 0 })
    .execute();
  await test.db
    .updateTable('email_queues')
    .set({ status: 'sent', sent_at: sql`now()` })
    .where('id', '=', seeded.email.id)
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
    const { enrollment } = await seedSentFirstStep(test);
    // Sent in an earlier transaction, so "older than 0 ms" holds without waiting.
    expect(await reconcileFollowups({ db: test.db, logger }, { afterMs: 0, daySeconds: 86_400 })).toBeGreaterThan(0);
    expect(await stepsOf(test, enrollment.id)).toEqual([
      { step_order: 1, status: 'sent' },
      { step_order: 2, status: 'scheduled' },
    ]);
    expect(await reconcileFollowups({ db: test.db, logger }, { afterMs: 0, daySeconds: 86_400 })).toBe(0);
  });

  it('leaves alone a sent email still within its grace period', async () => {
    const { enrollment } = await seedSentFirstStep(test);
    await reconcileFollowups({ db: test.db, logger }, { afterMs: 3_600_000, daySeconds: 86_400 });
    expect(await stepsOf(test, enrollment.id)).toEqual([{ step_order: 1, status: 'sent' }]);
  });

  it('does nothing for an email whose event was handled, even if the event arrives again', async () => {
    const { enrollment, email, sequence } = await seedSentFirstStep(test);
    const event = { emailId: email.id, sequenceContactId: enrollment.id, sequenceId: sequence.id, stepOrder: 1 };
    expect(await scheduleNextStep(test.db, { ...event, sentAt: new Date() }, 86_400)).toBe('scheduled');
    const handled = await test.db
      .selectFrom('email_queues')
      .select('followup_handled_at')
      .where('id', '=', email.id)
      .executeTakeFirstOrThrow();
    expect(handled.followup_handled_at).toBeInstanceOf(Date);
    expect(await scheduleNextStep(test.db, { ...event, sentAt: new Date() }, 86_400)).toBe('already-done');
    await reconcileFollowups({ db: test.db, logger }, { afterMs: 0, daySeconds: 86_400 });
    expect(await stepsOf(test, enrollment.id)).toHaveLength(2);
  });

  it('completes an enrollment whose last step was sent and whose event was lost', async () => {
    const { enrollment, email } = await seedEnrolledEmail(test.db);
    await test.db
      .updateTable('email_queues')
      .set({ status: 'sent', sent_at: sql`now()` })
      .where('id', '=', email.id)
      .execute();
    await reconcileFollowups({ db: test.db, logger }, { afterMs: 0, daySeconds: 86_400 });
    const row = await test.db
      .selectFrom('sequence_contacts')
      .select('status')
      .where('id', '=', enrollment.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('completed');
  });
});
