import { sql } from 'kysely';
import type { Database } from '../create-db.js';
import { mailboxDayCapacity, mailboxLocalDay } from '../mailbox-day.js';
import { prepared } from '../prepared-statements.js';
import type { DeliveryStatus } from '../database.generated.js';

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

/** What happened to emails over a recent window, from the events recorded with each outcome. */
interface RecentOutcomes {
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
async function readRecentOutcomes(db: Database, windowSeconds: number): Promise<RecentOutcomes> {
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

interface MailboxUsageToday {
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
async function readMailboxUsageToday(db: Database, daySeconds: number): Promise<MailboxUsageToday[]> {
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
    select m.id, m.email, m.status::text as status, m.time_zone, ${day}::text as day,
      ${mailboxDayCapacity('m', day)} as capacity,
      coalesce(c.sent_count, 0) as sent, coalesce(c.reserved_count, 0) as reserved
    from mailboxes m
    left join mailbox_daily_counts c on c.mailbox_id = m.id and c.day = ${day}
    where m.deleted_at is null
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

/**
 * Percentiles of the SMTP transaction time (handing over the message to the server's reply) of the emails sent
 * over a recent window, in milliseconds; null when none was sent (or none recorded its time).
 */
async function readSendDurations(
  db: Database,
  windowSeconds: number,
): Promise<{ p50Ms: number | null; p95Ms: number | null }> {
  const { rows } = await sql<{ p50: number | null; p95: number | null }>`
    select
      percentile_cont(0.5) within group (order by (metadata->>'smtp_ms')::float8) as p50,
      percentile_cont(0.95) within group (order by (metadata->>'smtp_ms')::float8) as p95
    from email_events
    where type = 'sent' and occurred_at > now() - make_interval(secs => ${windowSeconds}) and metadata ? 'smtp_ms'
  `.execute(db);
  const round = (ms: number | null) => (ms === null ? null : Math.round(ms));
  return { p50Ms: round(rows[0]!.p50), p95Ms: round(rows[0]!.p95) };
}

/**
 * Emails with work ahead by delivery status (queued, retrying, in_progress, uncertain, dead_letter), and of them
 * those due now. Reads every email not yet sent, failed or cancelled: the cost follows the queue, not the history.
 */
async function readQueueByDeliveryStatus(
  db: Database,
): Promise<{ byStatus: Partial<Record<DeliveryStatus, number>>; due: number }> {
  const { rows } = await sql<{ status: DeliveryStatus; count: number; due: number }>`
    select email_delivery_status(status, retry_count, dead_lettered_at) as status, count(*)::int as count,
      (count(*) filter (where status = 'scheduled' and scheduled_for <= now()))::int as due
    from email_queues
    where status in ('scheduled', 'queued', 'sending', 'retry_pending', 'uncertain')
    group by 1
  `.execute(db);
  return {
    byStatus: Object.fromEntries(rows.map((row) => [row.status, row.count])),
    due: rows.reduce((sum, row) => sum + row.due, 0),
  };
}

/**
 * What `GET /stats` answers and `outflow stats` prints: emails with work ahead by delivery status (and of them
 * those due now), the last `windowSeconds`' outcomes with SMTP times, and each mailbox's capacity on its local day.
 */
export async function readStats(
  db: Database,
  { daySeconds, windowSeconds }: { daySeconds: number; windowSeconds: number },
) {
  const [queue, outcomes, durations, mailboxes] = await Promise.all([
    readQueueByDeliveryStatus(db),
    readRecentOutcomes(db, windowSeconds),
    readSendDurations(db, windowSeconds),
    readMailboxUsageToday(db, daySeconds),
  ]);
  return {
    queue: {
      queued: queue.byStatus.queued ?? 0,
      retrying: queue.byStatus.retrying ?? 0,
      in_progress: queue.byStatus.in_progress ?? 0,
      uncertain: queue.byStatus.uncertain ?? 0,
      dead_letter: queue.byStatus.dead_letter ?? 0,
      due_now: queue.due,
    },
    last_hour: {
      sent: outcomes.sent,
      failed: outcomes.permanentFailures,
      failed_attempts: outcomes.failedAttempts,
      uncertain: outcomes.uncertain,
      failure_rate: outcomes.failureRate,
      send_ms: { p50: durations.p50Ms, p95: durations.p95Ms },
    },
    mailboxes: mailboxes.map(({ timeZone, ...mailbox }) => ({ ...mailbox, time_zone: timeZone })),
  };
}

export type Stats = Awaited<ReturnType<typeof readStats>>;
