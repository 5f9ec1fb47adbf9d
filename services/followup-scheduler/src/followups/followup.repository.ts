import { sql, type Kysely } from 'kysely';
import type { DB } from '@outflow/db';

export type FollowupOutcome = 'scheduled' | 'completed' | 'already-done' | 'enrollment-inactive';

export interface SentStep {
  emailId: string;
  sequenceContactId: string;
  sequenceId: string;
  stepOrder: number;
  sentAt: Date;
}

/**
 * After step n of an enrollment was sent: schedule step n+1 at sent_at + its wait, or complete the enrollment
 * after the last step. Idempotent: the (enrollment, step) unique key means a redelivered event inserts nothing,
 * and completion only moves an active enrollment. An enrollment that was unenrolled or bounced meanwhile gets
 * nothing scheduled. Whatever the outcome, the sent email is marked handled in the same transaction, which is
 * what tells the reconciliation that its follow-up event was not lost.
 */
export async function scheduleNextStep(db: Kysely<DB>, event: SentStep, daySeconds: number): Promise<FollowupOutcome> {
  return db.transaction().execute(async (trx) => {
    const outcome = await decideNextStep(trx, event, daySeconds);
    await trx
      .updateTable('email_queues')
      .set({ followup_handled_at: sql`now()` })
      .where('id', '=', event.emailId)
      .where('followup_handled_at', 'is', null)
      .execute();
    return outcome;
  });
}

async function decideNextStep(trx: Kysely<DB>, event: SentStep, daySeconds: number): Promise<FollowupOutcome> {
  const enrollment = await trx
    .selectFrom('sequence_contacts')
    .select(['id', 'status', 'contact_id', 'mailbox_id'])
    .where('id', '=', event.sequenceContactId)
    .forUpdate()
    .executeTakeFirst();
  if (!enrollment || enrollment.status !== 'active') return 'enrollment-inactive';
  const next = await trx
    .selectFrom('steps')
    .select(['id', 'step_order', 'wait_days'])
    .where('sequence_id', '=', event.sequenceId)
    .where('step_order', '>', event.stepOrder)
    .orderBy('step_order')
    .limit(1)
    .executeTakeFirst();
  if (!next) {
    await trx
      .updateTable('sequence_contacts')
      .set({ status: 'completed', completed_at: sql`now()` })
      .where('id', '=', enrollment.id)
      .where('status', '=', 'active')
      .execute();
    return 'completed';
  }
  const inserted = await trx
    .insertInto('email_queues')
    .values({
      sequence_contact_id: enrollment.id,
      sequence_id: event.sequenceId,
      step_id: next.id,
      step_order: next.step_order,
      contact_id: enrollment.contact_id,
      mailbox_id: enrollment.mailbox_id,
      scheduled_for: sql`${event.sentAt}::timestamptz + make_interval(secs => ${next.wait_days * daySeconds})`,
    })
    .onConflict((conflict) => conflict.columns(['sequence_contact_id', 'step_order']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted ? 'scheduled' : 'already-done';
}

/**
 * Sent emails whose follow-up was never handled, sent more than `olderThanMs` ago: their followup-events
 * message was lost (or is very late). Oldest first.
 */
export async function findUnhandledFollowups(db: Kysely<DB>, olderThanMs: number, limit: number): Promise<SentStep[]> {
  const rows = await db
    .selectFrom('email_queues')
    .select(['id', 'sequence_contact_id', 'sequence_id', 'step_order', 'sent_at'])
    .where('status', '=', 'sent')
    .where('followup_handled_at', 'is', null)
    .where('sent_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .orderBy('sent_at')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    emailId: row.id,
    sequenceContactId: row.sequence_contact_id,
    sequenceId: row.sequence_id,
    stepOrder: row.step_order,
    sentAt: row.sent_at!,
  }));
}
