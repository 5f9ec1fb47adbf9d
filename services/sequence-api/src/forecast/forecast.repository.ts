import { sql } from 'kysely';
import {
  dayOfIndex,
  localDayStart,
  mailboxDayCapacity,
  mailboxDayIndex,
  mailboxInFlight,
  isPaced,
  waitEnd,
  windowOpening,
  type Database,
} from '@outflow/db';
import type { MailboxState } from './mailbox-forecast.js';

/** How many of a mailbox's local days a forecast looks ahead. */
export const forecastHorizonDays = 30;

/** At most this many of a mailbox's scheduled emails are read, however much its horizon could hold. */
const maxQueueRead = 20_000;

export interface QueueRow {
  id: string;
  mailbox_id: string;
  scheduled_for: Date;
  sequence_id: string;
  sequence_contact_id: string;
  contact_id: string;
  step_order: number;
  /** Its sequence has a send window. */
  windowed: boolean;
}

export interface MailboxQueue {
  state: MailboxState;
  /** Its scheduled emails of active sequences, in the order the producer claims them, as many as can go
   * within the horizon. */
  queue: QueueRow[];
}

/**
 * Each mailbox's state (its local days to the horizon, each with its capacity and use, as the claim counts
 * them; its pacing) and its queue. A mailbox's days start at its local midnight (every `daySeconds` on its own
 * clock, as mailboxLocalDay counts them) and are read from the database, which knows the time zone rules.
 */
export async function readMailboxQueues(
  db: Database,
  mailboxIds: readonly string[],
  daySeconds: number,
): Promise<Map<string, MailboxQueue>> {
  if (mailboxIds.length === 0) return new Map();
  const ids = [...new Set(mailboxIds)];
  // Day g.i of the horizon, counted from the mailbox's today.
  const dayIndex = sql<number>`m.today + g.i`;
  const { rows: facts } = await sql<{
    id: string;
    status: string;
    paced: boolean;
    min_gap_seconds: number;
    gap_jitter_seconds: number;
    next_send_at: Date | null;
    in_flight: number;
  }>`
    select m.id, m.status::text as status, ${isPaced('m')} as paced, m.min_gap_seconds, m.gap_jitter_seconds,
      p.next_send_at,
      ${mailboxInFlight(sql.ref('m.id'))} as in_flight
    from mailboxes m
    left join mailbox_pacing p on p.mailbox_id = m.id and p.next_send_at > now()
    where m.id = any(${ids}::uuid[])
  `.execute(db);
  const { rows: days } = await sql<{ id: string; starts_at: Date; capacity: number; used: number }>`
    with m as (
      select m.*, ${mailboxDayIndex(sql.ref('m.time_zone'), daySeconds)} as today
      from mailboxes m where m.id = any(${ids}::uuid[])
    )
    select m.id, ${localDayStart(dayIndex, daySeconds)} at time zone m.time_zone as starts_at,
      ${mailboxDayCapacity('m', dayOfIndex(dayIndex))} as capacity,
      coalesce(c.sent_count + c.reserved_count, 0)::int as used
    from m cross join generate_series(0, ${forecastHorizonDays}) as g(i)
    left join mailbox_daily_counts c on c.mailbox_id = m.id and c.day = ${dayOfIndex(dayIndex)}
    order by m.id, g.i
  `.execute(db);

  const states = new Map<string, MailboxState>();
  for (const fact of facts) {
    states.set(fact.id, {
      active: fact.status === 'active',
      days: [],
      gapMs: fact.paced ? (fact.min_gap_seconds + fact.gap_jitter_seconds / 2) * 1000 : 0,
      nextSendAt: fact.next_send_at,
      inFlight: fact.in_flight,
    });
  }
  for (const row of days) {
    states.get(row.id)?.days.push({ startsAt: row.starts_at, capacity: row.capacity, used: row.used });
  }
  // What each horizon can hold bounds its read: an email after that many cannot go within it.
  const room = [...states].map(([id, state]) => ({
    id,
    limit: Math.min(
      maxQueueRead,
      state.days.slice(0, -1).reduce((sum, d) => sum + Math.max(d.capacity - d.used, 0), 0),
    ),
  }));
  const { rows: queued } = await sql<QueueRow>`
    select q.* from unnest(${room.map((r) => r.id)}::uuid[], ${room.map((r) => r.limit)}::int[]) as m(id, lim)
    cross join lateral (
      select e.mailbox_id, e.id, e.scheduled_for, e.sequence_id, e.sequence_contact_id, e.contact_id, e.step_order,
        s.send_days is not null as windowed
      from email_queues e join sequences s on s.id = e.sequence_id
      where e.mailbox_id = m.id and e.status = 'scheduled' and s.status = 'active'
      order by e.scheduled_for, e.id
      limit m.lim
    ) q
  `.execute(db);
  const queues = new Map<string, MailboxQueue>([...states].map(([id, state]) => [id, { state, queue: [] }]));
  for (const row of queued) queues.get(row.mailbox_id)!.queue.push(row);
  return queues;
}

/**
 * For emails expected at these times, those whose send window is closed then (on the recipient's clock), with
 * when it opens next: the sender would schedule them again for that opening.
 */
export async function closedWindows(
  db: Database,
  expected: readonly { id: string; at: Date }[],
): Promise<Map<string, Date>> {
  if (expected.length === 0) return new Map();
  const { rows } = await sql<{ id: string; opens_at: Date }>`
    select x.id, opening.opens_at
    from unnest(${expected.map((e) => e.id)}::uuid[], ${expected.map((e) => e.at.toISOString())}::timestamptz[])
      as x(id, at)
    join email_queues e on e.id = x.id
    join sequences s on s.id = e.sequence_id
    join contacts c on c.id = e.contact_id
    cross join lateral (select ${windowOpening(sql`x.at`)} as opens_at) opening
    where s.send_days is not null and opening.opens_at > x.at
  `.execute(db);
  return new Map(rows.map((row) => [row.id, row.opens_at]));
}

/** The sequence's status, its emails waiting and in flight, and the mailboxes its waiting emails are in. */
export async function readSequenceQueue(db: Database, sequenceId: string) {
  const sequence = await db
    .selectFrom('sequences')
    .select(['id', 'status'])
    .where('id', '=', sequenceId)
    .executeTakeFirst();
  if (!sequence) return undefined;
  const { rows } = await sql<{ mailbox_id: string; active: boolean; scheduled: number; in_flight: number }>`
    select e.mailbox_id, m.status = 'active' as active,
      count(*) filter (where e.status = 'scheduled')::int as scheduled,
      count(*) filter (where e.status in ('queued', 'sending'))::int as in_flight
    from email_queues e join mailboxes m on m.id = e.mailbox_id
    where e.sequence_id = ${sequenceId} and e.status in ('scheduled', 'queued', 'sending')
    group by e.mailbox_id, m.status
  `.execute(db);
  return {
    status: sequence.status,
    scheduled: rows.reduce((sum, row) => sum + row.scheduled, 0),
    inFlight: rows.reduce((sum, row) => sum + row.in_flight, 0),
    /** Waiting in mailboxes that are paused or disabled. */
    inactive: rows.reduce((sum, row) => sum + (row.active ? 0 : row.scheduled), 0),
    mailboxIds: rows.filter((row) => row.scheduled > 0).map((row) => row.mailbox_id),
  };
}

/** The addresses of these contacts. */
export async function contactAddresses(db: Database, contactIds: readonly string[]): Promise<Map<string, string>> {
  if (contactIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('contacts')
    .select(['id', 'email'])
    .where('id', 'in', [...new Set(contactIds)])
    .execute();
  return new Map(rows.map((row) => [row.id, row.email]));
}

/**
 * An enrollment with what its forecast needs: its status and mailbox, the latest email of each of its steps,
 * and the steps of the version it follows with their waits.
 */
export async function readEnrollment(db: Database, sequenceId: string, contactId: string) {
  const enrollment = await db
    .selectFrom('sequence_contacts as sc')
    .innerJoin('sequences as s', 's.id', 'sc.sequence_id')
    .select(['sc.id', 'sc.status', 'sc.mailbox_id', 'sc.sequence_version', 's.status as sequence_status'])
    .where('sc.sequence_id', '=', sequenceId)
    .where('sc.contact_id', '=', contactId)
    .executeTakeFirst();
  if (!enrollment) return undefined;
  const steps = await db
    .selectFrom('steps')
    .select(['step_order', 'wait_days'])
    .where('sequence_id', '=', sequenceId)
    .where('version', '=', enrollment.sequence_version)
    .orderBy('step_order')
    .execute();
  const emails = await db
    .selectFrom('email_queues')
    .select(['id', 'step_order', 'status', 'scheduled_for', 'sent_at'])
    .distinctOn('step_order')
    .where('sequence_contact_id', '=', enrollment.id)
    .orderBy('step_order')
    .orderBy('created_at', 'desc')
    .execute();
  return { enrollment, steps, emails };
}

/**
 * When a step that waits `waitDays` after a send at `after` is due: as the follow-up scheduler will schedule
 * it (the wait in the sequence's unit, then its send window, in the contact's zone).
 */
export async function followUpDue(
  db: Database,
  options: { sequenceId: string; contactId: string; after: Date; waitDays: number; daySeconds: number },
): Promise<Date> {
  const after = sql<Date>`${options.after.toISOString()}::timestamptz`;
  const { rows } = await sql<{ due: Date }>`
    select ${windowOpening(waitEnd(after, options.waitDays, options.daySeconds))} as due
    from sequences s, contacts c where s.id = ${options.sequenceId} and c.id = ${options.contactId}
  `.execute(db);
  return rows[0]!.due;
}

/** The database's clock, the one the claim and the scheduler go by. */
export async function databaseNow(db: Database): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`select now() as now`.execute(db);
  return rows[0]!.now;
}
