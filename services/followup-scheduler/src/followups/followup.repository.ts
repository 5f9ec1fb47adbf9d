import { sql, type Kysely } from 'kysely';
import { prepared, type DB } from '@outflow/db';

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
 * scheduleNextStep for a batch of sent steps, in one statement whatever the batch size: one round trip instead of
 * a transaction of five statements (seven round trips), which were most of the scheduler's CPU. Enrollments are
 * locked in id order before anything is written, so concurrent batches (another replica, the API unenrolling)
 * queue up instead of deadlocking; a row lock returns the enrollment as it is now, not as the statement's
 * snapshot saw it, so an unenrollment committed meanwhile is seen. Returns each event's outcome, in input order:
 * of several events for the same next step, the first is the one that schedules it.
 */
export async function scheduleNextSteps(
  db: Kysely<DB>,
  events: readonly SentStep[],
  daySeconds: number,
): Promise<FollowupOutcome[]> {
  if (events.length === 0) return [];
  const { rows } = await prepared(
    'schedule-next-steps',
    sql<{ outcome: FollowupOutcome }>`
    with event as (
      select * from unnest(
        ${events.map((event) => event.emailId)}::uuid[],
        ${events.map((event) => event.sequenceContactId)}::uuid[],
        ${events.map((event) => event.sequenceId)}::uuid[],
        ${events.map((event) => event.stepOrder)}::int[],
        ${events.map((event) => event.sentAt.toISOString())}::timestamptz[]
      ) with ordinality as e(email_id, sequence_contact_id, sequence_id, step_order, sent_at, n)
    ), enrollment as (
      select sc.id, sc.status, sc.contact_id, sc.mailbox_id
      from sequence_contacts sc
      where sc.id in (select sequence_contact_id from event)
      order by sc.id
      for update
    ), next_step as (
      select distinct on (sent.sequence_id, sent.step_order)
        sent.sequence_id, sent.step_order as sent_order, s.id, s.step_order, s.wait_days
      from (select distinct sequence_id, step_order from event) sent
      join steps s on s.sequence_id = sent.sequence_id and s.step_order > sent.step_order
      order by sent.sequence_id, sent.step_order, s.step_order
    ), planned as (
      select e.n, e.sequence_contact_id, e.sequence_id, e.sent_at, en.status, en.contact_id, en.mailbox_id,
        ns.id as next_step_id, ns.step_order as next_order, ns.wait_days
      from event e
      left join enrollment en on en.id = e.sequence_contact_id
      left join next_step ns on ns.sequence_id = e.sequence_id and ns.sent_order = e.step_order
    ), completed as (
      -- Only rows the enrollment CTE locked reach this update, so locks are still taken in id order.
      update sequence_contacts sc set status = 'completed', completed_at = now()
      where sc.id in (select sequence_contact_id from planned where status = 'active' and next_step_id is null)
        and sc.status = 'active'
    ), scheduling as (
      select distinct on (sequence_contact_id, next_order) *
      from planned
      where status = 'active' and next_step_id is not null
      order by sequence_contact_id, next_order, n
    ), inserted as (
      insert into email_queues (sequence_contact_id, sequence_id, step_id, step_order, contact_id, mailbox_id, scheduled_for)
      select sequence_contact_id, sequence_id, next_step_id, next_order, contact_id, mailbox_id,
        sent_at + make_interval(secs => wait_days * ${daySeconds})
      from scheduling
      on conflict (sequence_contact_id, step_order) do nothing
      returning sequence_contact_id, step_order
    ), handled as (
      update email_queues set followup_handled_at = now()
      where id in (select email_id from event) and followup_handled_at is null
    )
    select case
        when p.status is distinct from 'active' then 'enrollment-inactive'
        when p.next_step_id is null then 'completed'
        when i.sequence_contact_id is not null and first.n = p.n then 'scheduled'
        else 'already-done'
      end as outcome
    from planned p
    left join scheduling first on first.sequence_contact_id = p.sequence_contact_id and first.next_order = p.next_order
    left join inserted i on i.sequence_contact_id = p.sequence_contact_id and i.step_order = p.next_order
    order by p.n
  `,
  ).execute(db);
  if (rows.length !== events.length) {
    throw new Error(`scheduling ${events.length} follow-ups returned ${rows.length} outcomes`);
  }
  return rows.map((row) => row.outcome);
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
