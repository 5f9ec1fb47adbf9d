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
  const [outcome] = await scheduleNextSteps(db, [event], daySeconds);
  return outcome!;
}

/**
 * scheduleNextStep for a batch of sent steps, in one transaction of five statements whatever the batch size.
 * Enrollments are locked in id order, so concurrent batches (another replica, the API unenrolling) queue up
 * instead of deadlocking. Returns each event's outcome, in input order.
 */
export async function scheduleNextSteps(
  db: Kysely<DB>,
  events: readonly SentStep[],
  daySeconds: number,
): Promise<FollowupOutcome[]> {
  if (events.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const enrollmentIds = [...new Set(events.map((event) => event.sequenceContactId))].sort();
    const enrollments = new Map(
      (
        await trx
          .selectFrom('sequence_contacts')
          .select(['id', 'status', 'contact_id', 'mailbox_id'])
          .where('id', 'in', enrollmentIds)
          .orderBy('id')
          .forUpdate()
          .execute()
      ).map((row) => [row.id, row]),
    );
    const active = events.filter((event) => enrollments.get(event.sequenceContactId)?.status === 'active');
    const nextSteps = await findNextSteps(trx, active);
    const nextOf = (event: SentStep) => nextSteps.get(`${event.sequenceId}/${event.stepOrder}`);

    const completing = [...new Set(active.filter((event) => !nextOf(event)).map((event) => event.sequenceContactId))];
    if (completing.length > 0) {
      await trx
        .updateTable('sequence_contacts')
        .set({ status: 'completed', completed_at: sql`now()` })
        .where('id', 'in', completing)
        .where('status', '=', 'active')
        .execute();
    }
    const scheduling = [
      ...new Map(
        active
          .filter((event) => nextOf(event))
          .map((event) => [`${event.sequenceContactId}/${nextOf(event)!.step_order}`, event]),
      ).values(),
    ];
    const inserted = new Set<string>();
    if (scheduling.length > 0) {
      const rows = await trx
        .insertInto('email_queues')
        .values(
          scheduling.map((event) => {
            const next = nextOf(event)!;
            const enrollment = enrollments.get(event.sequenceContactId)!;
            return {
              sequence_contact_id: enrollment.id,
              sequence_id: event.sequenceId,
              step_id: next.id,
              step_order: next.step_order,
              contact_id: enrollment.contact_id,
              mailbox_id: enrollment.mailbox_id,
              scheduled_for: sql<Date>`${event.sentAt}::timestamptz + make_interval(secs => ${next.wait_days * daySeconds})`,
            };
          }),
        )
        .onConflict((conflict) => conflict.columns(['sequence_contact_id', 'step_order']).doNothing())
        .returning(['sequence_contact_id', 'step_order'])
        .execute();
      for (const row of rows) inserted.add(`${row.sequence_contact_id}/${row.step_order}`);
    }
    await trx
      .updateTable('email_queues')
      .set({ followup_handled_at: sql`now()` })
      .where('id', 'in', [...new Set(events.map((event) => event.emailId))])
      .where('followup_handled_at', 'is', null)
      .execute();

    return events.map((event): FollowupOutcome => {
      if (enrollments.get(event.sequenceContactId)?.status !== 'active') return 'enrollment-inactive';
      const next = nextOf(event);
      if (!next) return 'completed';
      // The first event for a step schedules it; a duplicate of it (same batch or later) finds it done.
      return inserted.delete(`${event.sequenceContactId}/${next.step_order}`) ? 'scheduled' : 'already-done';
    });
  });
}

/** The step after each (sequence, step order), keyed `sequence/order`; a last step has no entry. One statement. */
async function findNextSteps(trx: Kysely<DB>, sent: readonly SentStep[]) {
  const next = new Map<string, { id: string; step_order: number; wait_days: number }>();
  if (sent.length === 0) return next;
  const pairs = [...new Map(sent.map((event) => [`${event.sequenceId}/${event.stepOrder}`, event])).values()];
  const { rows } = await sql<{
    sequence_id: string;
    sent_order: number;
    id: string;
    step_order: number;
    wait_days: number;
  }>`
    select distinct on (sent.sequence_id, sent.sent_order) sent.sequence_id, sent.sent_order, s.id, s.step_order, s.wait_days
    from unnest(${pairs.map((event) => event.sequenceId)}::uuid[], ${pairs.map((event) => event.stepOrder)}::int[])
      as sent(sequence_id, sent_order)
    join steps s on s.sequence_id = sent.sequence_id and s.step_order > sent.sent_order
    order by sent.sequence_id, sent.sent_order, s.step_order
  `.execute(trx);
  for (const row of rows) next.set(`${row.sequence_id}/${row.sent_order}`, row);
  return next;
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
