import { sql } from 'kysely';
import type { Database } from '../create-db.js';
import { mailboxLocalDay } from '../mailbox-day.js';
import { prepared } from '../prepared-statements.js';

/**
 * Emails in each status past `scheduled` that still has work ahead (the terminal ones only grow). Each status is
 * counted from its own partial index (the `queued`, `sending` and after-failure ones), so the cost follows the
 * emails in flight, never the millions already sent.
 */
export interface InFlightEmailCounts {
  queued: number;
  sending: number;
  retry_pending: number;
  uncertain: number;
}

export async function readInFlightEmailCounts(db: Database): Promise<InFlightEmailCounts> {
  const { rows } = await prepared(
    'queue-in-flight-emails',
    sql<InFlightEmailCounts>`
    select
      (select count(*) from email_queues where status = 'queued')::int as queued,
      (select count(*) from email_queues where status = 'sending')::int as sending,
      (select count(*) from email_queues where status = 'retry_pending')::int as retry_pending,
      (select count(*) from email_queues where status = 'uncertain')::int as uncertain
  `,
  ).execute(db);
  return rows[0]!;
}

/** Scheduled emails, and of them those whose time has come: one index-only pass over the due index. */
export async function readScheduledCounts(db: Database): Promise<{ scheduled: number; due: number }> {
  const { rows } = await sql<{ scheduled: number; due: number }>`
    select count(*)::int as scheduled, (count(*) filter (where scheduled_for <= now()))::int as due
    from email_queues where status = 'scheduled'
  `.execute(db);
  return rows[0]!;
}

/** What happened to emails over a recent window, from the events recorded with each outcome. */
export interface RecentOutcomes {
  /** Emails sent. */
  sent: number;
  /** Send attempts that failed (each retried or given up on). */
  failedAttempts: number;
  /** Emails given up on: a permanent failure, or out of retries. */
  permanentFailures: number;
  /** Emails whose send outcome became unknown. */
  uncertain: number;
  /** Failed attempts over all attempts that ended (sent, failed, uncertain); null when none did. */
  failureRate: number | null;
}

/** Counted from the events' (type, occurred_at) index: the cost follows the window, not the table. */
export async function readRecentOutcomes(db: Database, windowSeconds: number): Promise<RecentOutcomes> {
  const { rows } = await sql<{ type: string; count: number }>`
    select type::text as type, count(*)::int as count
    from email_events
    where type in ('sent', 'failed', 'permanent_failure', 'uncertain')
      and occurred_at > now() - make_interval(secs => ${windowSeconds})
    group by type
  `.execute(db);
  const count = (type: string) => rows.find((row) => row.type === type)?.count ?? 0;
  const sent = count('sent');
  const failedAttempts = count('failed');
  const uncertain = count('uncertain');
  const attempts = sent + failedAttempts + uncertain;
  return {
    sent,
    failedAttempts,
    permanentFailures: count('permanent_failure'),
    uncertain,
    failureRate: attempts === 0 ? null : failedAttempts / attempts,
  };
}

export interface MailboxUsageToday {
  id: string;
  email: string;
  status: string;
  timeZone: string;
  /** Its local day, as the capacity counts it (`OUTFLOW_DAY_SECONDS` long). */
  day: string;
  capacity: number;
  sent: number;
  /** Claimed for sending today and not yet sent or released. */
  reserved: number;
  remaining: number;
}

/** Every mailbox's capacity for its own local day and what of it is used, by address. */
export async function readMailboxUsageToday(db: Database, daySeconds: number): Promise<MailboxUsageToday[]> {
  const day = mailboxLocalDay(sql.ref('m.time_zone'), daySeconds);
  const { rows } = await sql<{
    id: string;
    email: string;
    status: string;
    time_zone: string;
    day: string;
    capacity: number;
    sent: number;
    reserved: number;
  }>`
    select m.id, m.email, m.status::text as status, m.time_zone, ${day}::text as day, m.daily_capacity as capacity,
      coalesce(c.sent_count, 0) as sent, coalesce(c.reserved_count, 0) as reserved
    from mailboxes m
    left join mailbox_daily_counts c on c.mailbox_id = m.id and c.day = ${day}
    order by m.email, m.id
  `.execute(db);
  return rows.map((row) => ({
    id: row.id,
    email: row.email,
    status: row.status,
    timeZone: row.time_zone,
    day: row.day,
    capacity: row.capacity,
    sent: row.sent,
    reserved: row.reserved,
    remaining: Math.max(0, row.capacity - row.sent - row.reserved),
  }));
}
