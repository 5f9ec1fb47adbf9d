import { sql } from 'kysely';
import { prepared, type Database } from '@outflow/db';
import type { TraceCarrier } from '@outflow/telemetry';

export type FollowupOutcome = 'scheduled' | 'completed' | 'already-done' | 'enrollment-inactive';

export interface SentStep {
  emailId: string;
  sequenceContactId: string;
  sequenceId: string;
  stepOrder: number;
  sentAt: Date;
  /** The trace of the sent step's event: the next step's email continues it. Null when there is none. */
  traceContext: TraceCarrier | null;
}

/**
 * After step n of an enrollment was sent: schedule step n+1 at sent_at + its wait, or complete the enrollment
 * after the last step. Idempotent: the (enrollment, step) unique key means a redelivered event inserts nothing,
 * and completion only moves an active enrollment. An enrollment that was unenrolled or bounced meanwhile gets
 * nothing scheduled. Either way the sent email is left as it is: a later step queued, or an enrollment no longer
 * active, is what tells the reconciliation that the follow-up was handled (findLostFollowups).
 *
 * One statement for a whole batch of sent steps: one round trip instead of a transaction of five statements
 * (seven round trips), which were most of the scheduler's CPU. Enrollments are locked in id order before anything
 * is written, so concurrent batches (another replica, the API unenrolling) queue up instead of deadlocking; a row
 * lock returns the enrollment as it is now, not as the statement's snapshot saw it, so an unenrollment committed
 * meanwhile is seen. Returns each event's outcome, in input order: of several events for the same next step, the
 * first is the one that schedules it.
 */
export async function scheduleNextSteps(
  db: Database,
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
        ${events.map((event) => event.sentAt.toISOString())}::timestamptz[],
        ${events.map((event) => (event.traceContext ? JSON.stringify(event.traceContext) : null))}::jsonb[]
      ) with ordinality as e(email_id, sequence_contact_id, sequence_id, step_order, sent_at, trace_context, n)
    ), enrollment as (
      select sc.id, sc.status, sc.contact_id, sc.mailbox_id, sc.workspace_id, sc.sequence_version
      from sequence_contacts sc
      where sc.id in (select sequence_contact_id from event)
      order by sc.id
      for update
    ), next_step as (
      -- The next step of the version the enrollment follows (moved or not, it is the enrollment's version now).
      select distinct on (sent.sequence_id, sent.version, sent.step_order)
        sent.sequence_id, sent.version, sent.step_order as sent_order, s.id, s.step_order, s.wait_days
      from (
        select distinct e.sequence_id, en.sequence_version as version, e.step_order
        from event e join enrollment en on en.id = e.sequence_contact_id
      ) sent
      join steps s on s.sequence_id = sent.sequence_id and s.version = sent.version and s.step_order > sent.step_order
      order by sent.sequence_id, sent.version, sent.step_order, s.step_order
    ), planned as (
      select e.n, e.sequence_contact_id, e.sequence_id, e.sent_at, e.trace_context, en.status, en.contact_id,
        en.mailbox_id, en.workspace_id, ns.id as next_step_id, ns.step_order as next_order, ns.wait_days,
        coalesce(c.time_zone, sq.time_zone) as time_zone, sq.send_days, sq.send_from, sq.send_to, sq.wait_unit
      from event e
      left join enrollment en on en.id = e.sequence_contact_id
      left join next_step ns on ns.sequence_id = e.sequence_id and ns.version = en.sequence_version
        and ns.sent_order = e.step_order
      -- The recipient's time zone and the sequence's window and wait unit (docs/api.md, send windows).
      left join sequences sq on sq.id = e.sequence_id
      left join contacts c on c.id = en.contact_id
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
      insert into email_queues (sequence_contact_id, sequence_id, step_id, step_order, contact_id, mailbox_id,
        workspace_id, scheduled_for, trace_context)
      select sequence_contact_id, sequence_id, next_step_id, next_order, contact_id, mailbox_id, workspace_id,
        case when send_days is null and wait_unit = 'calendar' and time_zone = 'UTC'
          then sent_at + make_interval(secs => wait_days * ${daySeconds})
          else send_window_opening(
            wait_ends(sent_at, wait_days, ${daySeconds}, wait_unit = 'business', time_zone),
            time_zone, send_days, send_from, send_to)
        end, trace_context
      from scheduling
      on conflict (sequence_contact_id, step_order) do nothing
      returning sequence_contact_id, step_order
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

/** A window of sent times, (from, to], in whole milliseconds. */
export interface SentWindow {
  from: Date;
  to: Date;
  /** The window ends at the grace limit (now − grace): the last window of a pass. */
  last: boolean;
}

/**
 * The next window of sent emails whose follow-ups the reconciliation should check: from where it got to, over at
 * most about `maxEmails` sent emails, and never closer to now than `graceMs` (a follow-up event may take that
 * long). Undefined when there is nothing to check yet. Bounds are whole milliseconds, so that they round-trip
 * through a JavaScript Date unchanged; the next window starts where this one ends, so nothing falls between.
 */
export async function nextSentWindow(
  db: Database,
  graceMs: number,
  maxEmails: number,
): Promise<SentWindow | undefined> {
  const row = await sql<{ from: Date; limit: Date; full: Date | null }>`
    select p.scanned_to as "from",
      date_trunc('milliseconds', now() - make_interval(secs => ${graceMs / 1000})) as "limit",
      -- Where a window of maxEmails ends (null: fewer are left); at least 1 ms on, so that many emails sent in
      -- one instant cannot stall the scan.
      case when beyond.occurred_at is not null
        then greatest(p.scanned_to + interval '1 millisecond', date_trunc('milliseconds', beyond.occurred_at))
      end as "full"
    from followup_scan_progress p
    left join lateral (
      select occurred_at from email_events
      where type = 'sent' and occurred_at > p.scanned_to
      order by occurred_at offset ${maxEmails} limit 1
    ) beyond on true
  `
    .execute(db)
    .then((result) => result.rows[0]);
  if (!row) throw new Error('followup_scan_progress has no row: the database was not migrated to 0013');
  const last = row.full === null || row.full >= row.limit;
  const to = last ? row.limit : row.full!;
  return to > row.from ? { from: row.from, to, last } : undefined;
}

/**
 * Emails sent within the window whose follow-up was never handled: their enrollment is still active and has no
 * later step queued. Their followup-events message was lost (or is later than the grace period). Oldest first.
 * Sent emails are found by their `sent` event, which the sender records in the transaction that marks them sent.
 */
export async function findLostFollowups(db: Database, window: SentWindow): Promise<SentStep[]> {
  const { rows } = await sql<{
    id: string;
    sequence_contact_id: string;
    sequence_id: string;
    step_order: number;
    sent_at: Date;
    trace_context: TraceCarrier | null;
  }>`
    select e.id, e.sequence_contact_id, e.sequence_id, e.step_order, e.sent_at, e.trace_context
    from email_events ev
    join email_queues e on e.id = ev.email_queue_id and e.status = 'sent'
    join sequence_contacts sc on sc.id = e.sequence_contact_id and sc.status = 'active'
    where ev.type = 'sent' and ev.occurred_at > ${window.from} and ev.occurred_at <= ${window.to}
      and not exists (
        select 1 from email_queues later
        where later.sequence_contact_id = e.sequence_contact_id and later.step_order > e.step_order
      )
    order by ev.occurred_at, e.id
  `.execute(db);
  return rows.map((row) => ({
    emailId: row.id,
    sequenceContactId: row.sequence_contact_id,
    sequenceId: row.sequence_id,
    stepOrder: row.step_order,
    sentAt: row.sent_at,
    // The event's span is lost with the event: the next step continues the trace the sent email was in.
    traceContext: row.trace_context,
  }));
}

/**
 * Records that every email sent within the window was checked. Only moves on from `window.from`: when another
 * replica's reconciliation moved it meanwhile, nothing changes and this returns false.
 */
export async function markSentWindowChecked(db: Database, window: SentWindow): Promise<boolean> {
  const result = await db
    .updateTable('followup_scan_progress')
    .set({ scanned_to: window.to, updated_at: sql`now()` })
    // The window starts at scanned_to as a JavaScript Date read it: cut to the millisecond. Compared whole, a
    // progress with microseconds (set by hand) would never match, and the pass would go round the same window.
    .where(sql`date_trunc('milliseconds', scanned_to)`, '=', window.from)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
