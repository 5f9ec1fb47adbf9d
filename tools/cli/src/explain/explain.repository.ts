import { sql } from 'kysely';
import {
  dayOfIndex,
  localDayStart,
  mailboxDayCapacity,
  mailboxDayIndex,
  mailboxInFlight,
  type Database,
} from '@outflow/db';
import type { EmailFacts } from './explain-email.js';

interface FactsRow {
  id: string;
  status: string;
  recipient: string;
  step_order: number;
  scheduled_for: Date;
  retry_count: number;
  max_retries: number;
  attempts: number;
  claimed_at: Date | null;
  lease_expires_at: Date | null;
  last_attempt_at: Date | null;
  sent_at: Date | null;
  error_code: string | null;
  error_message: string | null;
  dead_lettered_at: Date | null;
  updated_at: Date;
  sequence_name: string;
  sequence_status: string;
  enrollment_status: string;
  mailbox_email: string;
  mailbox_status: string;
  time_zone: string;
  capacity: number;
  daily_capacity: number;
  warmup_daily_increase: number | null;
  min_gap_seconds: number;
  gap_jitter_seconds: number;
  next_send_at: Date | null;
  in_flight: number;
  due_before: number;
  used_today: number;
  day_ends_at: Date;
  day_ends_local: string;
  previous_status: string | null;
  previous_sent_at: Date | null;
  wait_days: number;
  next_step_order: number | null;
  next_wait_days: number | null;
  next_due_at: Date | null;
  next_scheduled: boolean;
}

/**
 * Everything explainEmail needs about one email, in one statement. The mailbox's day is its own local day of
 * `daySeconds` (as the producer counts capacity): its index is the local time's epoch over the day's length, and
 * it ends when the next one starts, which is read back into a moment through the mailbox's time zone.
 */
export async function readEmailFacts(
  db: Database,
  emailId: string,
  daySeconds: number,
): Promise<EmailFacts | undefined> {
  const day = sql.lit(daySeconds);
  const today = dayOfIndex(sql`e.day_index`);
  const tomorrow = localDayStart(sql`e.day_index + 1`, daySeconds);
  const { rows } = await sql<FactsRow>`
    with email as (
      select e.*, m.time_zone,
        ${mailboxDayIndex(sql.ref('m.time_zone'), daySeconds)} as day_index
      from email_queues e join mailboxes m on m.id = e.mailbox_id
      where e.id = ${emailId}
    )
    select e.id, e.status::text as status, c.email as recipient, e.step_order, e.scheduled_for, e.retry_count,
      e.max_retries, e.attempts, e.claimed_at, e.lease_expires_at, e.last_attempt_at, e.sent_at, e.error_code,
      e.error_message, e.dead_lettered_at, e.updated_at,
      s.name as sequence_name, s.status::text as sequence_status, sc.status::text as enrollment_status,
      m.email as mailbox_email, m.status::text as mailbox_status, m.time_zone,
      ${mailboxDayCapacity('m', today)} as capacity,
      m.daily_capacity, m.warmup_daily_increase, m.min_gap_seconds, m.gap_jitter_seconds, pacing.next_send_at,
      ${mailboxInFlight(sql.ref('m.id'))} as in_flight,
      -- Due emails of the mailbox the claim takes first (it takes them in due order).
      (select count(*) from email_queues b
       where b.mailbox_id = e.mailbox_id and b.status = 'scheduled' and b.scheduled_for <= now()
         and (b.scheduled_for, b.id) < (e.scheduled_for, e.id))::int as due_before,
      coalesce(dc.sent_count + dc.reserved_count, 0) as used_today,
      ${tomorrow} at time zone m.time_zone as day_ends_at,
      to_char(${tomorrow}, 'HH24:MI') as day_ends_local,
      previous.status as previous_status, previous.sent_at as previous_sent_at, st.wait_days,
      next_step.step_order as next_step_order, next_step.wait_days as next_wait_days,
      e.sent_at + make_interval(secs => next_step.wait_days * ${day}) as next_due_at,
      exists (
        select from email_queues n
        where n.sequence_contact_id = e.sequence_contact_id and n.step_order = e.step_order + 1
      ) as next_scheduled
    from email e
    join contacts c on c.id = e.contact_id
    join sequences s on s.id = e.sequence_id
    join sequence_contacts sc on sc.id = e.sequence_contact_id
    join mailboxes m on m.id = e.mailbox_id
    join steps st on st.id = e.step_id
    left join mailbox_daily_counts dc
      on dc.mailbox_id = m.id and dc.day = ${today}
    left join mailbox_pacing pacing on pacing.mailbox_id = m.id and pacing.next_send_at > now()
    left join lateral (
      select p.status::text as status, p.sent_at from email_queues p
      where p.sequence_contact_id = e.sequence_contact_id and p.step_order = e.step_order - 1
      order by p.created_at desc limit 1
    ) previous on true
    -- The next step of the version the enrollment follows.
    left join lateral (
      select ns.step_order, ns.wait_days from steps ns
      where ns.sequence_id = e.sequence_id and ns.version = sc.sequence_version and ns.step_order > e.step_order
      order by ns.step_order limit 1
    ) next_step on true
  `.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    status: row.status,
    recipient: row.recipient,
    stepOrder: row.step_order,
    scheduledFor: row.scheduled_for,
    retryCount: row.retry_count,
    maxRetries: row.max_retries,
    attempts: row.attempts,
    claimedAt: row.claimed_at,
    leaseExpiresAt: row.lease_expires_at,
    lastAttemptAt: row.last_attempt_at,
    sentAt: row.sent_at,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    deadLetteredAt: row.dead_lettered_at,
    updatedAt: row.updated_at,
    sequence: { name: row.sequence_name, status: row.sequence_status },
    enrollment: { status: row.enrollment_status },
    mailbox: {
      email: row.mailbox_email,
      status: row.mailbox_status,
      timeZone: row.time_zone,
      capacity: row.capacity,
      dailyCapacity: row.daily_capacity,
      warmupDailyIncrease: row.warmup_daily_increase,
      pacing: {
        minGapSeconds: row.min_gap_seconds,
        jitterSeconds: row.gap_jitter_seconds,
        nextSendAt: row.next_send_at,
        inFlight: row.in_flight,
      },
      dueBefore: row.due_before,
      usedToday: row.used_today,
      dayEndsAt: row.day_ends_at,
      dayEndsAtLocal: row.day_ends_local,
    },
    ...(row.step_order > 1 && {
      previous: {
        status: row.previous_status ?? 'missing',
        sentAt: row.previous_sent_at,
        waitDays: row.wait_days,
      },
    }),
    ...(row.next_step_order !== null && {
      next: {
        stepOrder: row.next_step_order,
        waitDays: row.next_wait_days ?? 0,
        dueAt: row.next_due_at,
        scheduled: row.next_scheduled,
      },
    }),
  };
}

/** For each enrollment of the contacts with this address (any workspace), its latest email: where it stands. */
export async function latestEmailsOfContact(db: Database, contactEmail: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select latest.id
    from contacts c
    join sequence_contacts sc on sc.contact_id = c.id
    cross join lateral (
      select e.id from email_queues e where e.sequence_contact_id = sc.id
      order by e.step_order desc, e.created_at desc limit 1
    ) latest
    where lower(c.email) = lower(${contactEmail})
    order by sc.enrolled_at
  `.execute(db);
  return rows.map((row) => row.id);
}
