import { sql, type Kysely } from 'kysely';
import type { DB } from '@outflow/db';

export type FollowupOutcome = 'scheduled' | 'completed' | 'already-done' | 'enrollment-inactive';

/**
 * After step n of an enrollment was sent: schedule step n+1 at sent_at + its wait, or complete the enrollment
 * after the last step. Idempotent: the (enrollment, step) unique key means a redelivered event inserts nothing,
 * and completion only moves an active enrollment. An enrollment that was unenrolled or bounced meanwhile gets
 * nothing scheduled.
 */
export async function scheduleNextStep(
  db: Kysely<DB>,
  event: { sequenceContactId: string; sequenceId: string; stepOrder: number; sentAt: Date },
  daySeconds: number,
): Promise<FollowupOutcome> {
  return db.transaction().execute(async (trx) => {
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
  });
}
