import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../create-db.js';
import type { DB } from '../database.generated.js';
import { mailboxDayCapacity, mailboxLocalDay } from '../mailbox-day.js';
import { gapRunning, isPaced, mailboxInFlight } from '../mailbox-pacing.js';
import { prepared } from '../prepared-statements.js';
import { claimLimits } from './claim-limits.js';

export interface ClaimedEmail {
  id: string;
  mailbox_id: string;
  sequence_id: string;
  sequence_contact_id: string;
  contact_id: string;
  step_order: number;
  scheduled_for: Date;
  claimed_at: Date;
  claim_token: string;
  /** The context of what scheduled the email (the enrolling request, the follow-up, the retry), or null. */
  trace_context: unknown;
}

interface LockedMailbox {
  id: string;
  /** What it may send on `day`: its daily capacity, or less while it warms up. */
  capacity: number;
  /** The mailbox's local day, whose counts its capacity is checked against. */
  day: string;
  /** It keeps a minimum gap between sends: one email in flight at a time, and none before its next_send_at. */
  paced: boolean;
}

interface MailboxAllowance {
  id: string;
  day: string;
  remaining: number;
}

/**
 * Emails claimed and not yet settled (queued or being sent) across all mailboxes. Unsettled reservations live on
 * the mailbox-local day they were made for: today, or yesterday for a claim from just before midnight, and any
 * mailbox's local day is within a day of the database's. The partial index of migration 0008 holds only the rows
 * with something reserved, so this reads one row per mailbox with emails in flight.
 */
const inFlightSum = sql<number>`(
  select coalesce(sum(reserved_count), 0) from mailbox_daily_counts
  where day >= (now()::date - 2) and reserved_count > 0
)::int`;

/**
 * The mailbox (aliased `m`) may take a claim now: it is active, has room left on its local `day`, and, when it is
 * paced, none of its emails is in flight and its gap since the last send has passed. Read with the locking statement's snapshot, this only keeps
 * mailboxes that cannot send from taking a place in the limit; readAllowances decides.
 */
function mayClaim(day: RawBuilder<string>): RawBuilder<boolean> {
  return sql<boolean>`m.status = 'active'
    and not exists (
      select 1 from mailbox_daily_counts c
      where c.mailbox_id = m.id and c.day = ${day} and c.sent_count + c.reserved_count >= ${mailboxDayCapacity('m', day)}
    )
    and (not ${isPaced('m')} or (not ${gapRunning(sql.ref('m.id'))} and ${mailboxInFlight(sql.ref('m.id'))} = 0))`;
}

/** The locked mailbox's row: what the claim needs to know about it. */
function lockedColumns(day: RawBuilder<string>): RawBuilder<LockedMailbox> {
  return sql<LockedMailbox>`m.id, ${mailboxDayCapacity('m', day)} as capacity, ${day}::text as day,
    ${isPaced('m')} as paced`;
}

/**
 * Locks up to `limit` active mailboxes that have due email and room left today, in id order after `after`
 * (wrapping round to the lowest ids), skipping those another producer is claiming right now (SKIP LOCKED: two
 * replicas split the mailboxes instead of both counting the same capacity).
 *
 * The mailboxes are found from the due index, not by probing every mailbox: a skip scan (one recursive step per
 * mailbox with scheduled email) reads each mailbox's earliest scheduled email in id order, and stops as soon as
 * `limit` mailboxes are locked. A mailbox with nothing scheduled (idle, or done with its sequences) costs
 * nothing, so a tick's cost follows the mailboxes with mail, not the size of the mailboxes table.
 *
 * The room test reads the counts with this statement's snapshot, which may miss a reservation committed while it
 * waited: it only keeps full mailboxes from taking a place in the limit; readAllowances reads the counts
 * that decide, after the lock is held.
 */
async function lockMailboxes(
  trx: Transaction<DB>,
  options: { daySeconds: number; after: string | null; limit: number; mailboxId?: string | undefined },
): Promise<LockedMailbox[]> {
  if (options.mailboxId !== undefined) return lockOneMailbox(trx, options.mailboxId, options.daySeconds);
  const lockRange = async (range: 'after' | 'up-to', limit: number) => {
    const from = options.after !== null && range === 'after' ? sql`and e.mailbox_id > ${options.after}` : sql``;
    const upTo = options.after !== null && range === 'up-to' ? sql`and e.mailbox_id <= ${options.after}` : sql``;
    const day = mailboxLocalDay(sql.ref('m.time_zone'), options.daySeconds);
    // Each step's LIMIT 1 reads the first entry of the next mailbox in the due index: that mailbox and its
    // earliest scheduled email. The lateral lock below keeps the join a nested loop over the steps in the order
    // they are made, so the outer LIMIT ends the recursion.
    const { rows } = await prepared(
      `lock-mailboxes-${options.after === null ? 'all' : range}`,
      sql<LockedMailbox>`
      with recursive scheduled as (
        (select e.mailbox_id, e.scheduled_for from email_queues e
         where e.status = 'scheduled' ${from} ${upTo}
         order by e.mailbox_id, e.scheduled_for limit 1)
        union all
        select next.mailbox_id, next.scheduled_for
        from scheduled cross join lateral (
          select e.mailbox_id, e.scheduled_for from email_queues e
          where e.status = 'scheduled' and e.mailbox_id > scheduled.mailbox_id ${upTo}
          order by e.mailbox_id, e.scheduled_for limit 1
        ) next
      )
      select locked.*
      from scheduled cross join lateral (
        select ${lockedColumns(day)}
        from mailboxes m
        where m.id = scheduled.mailbox_id and ${mayClaim(day)}
        for no key update skip locked
      ) locked
      where scheduled.scheduled_for <= now()
      limit ${limit}
    `,
    ).execute(trx);
    // In id order already (the steps are); sorted all the same, since the next claim starts after the last one.
    return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  };
  const first = await lockRange('after', options.limit);
  if (first.length === options.limit || options.after === null) return first;
  return [...first, ...(await lockRange('up-to', options.limit - first.length))];
}

/** The one mailbox, locked as lockMailboxes locks each, when it may take a claim and has due email. */
async function lockOneMailbox(trx: Transaction<DB>, mailboxId: string, daySeconds: number): Promise<LockedMailbox[]> {
  const day = mailboxLocalDay(sql.ref('m.time_zone'), daySeconds);
  const { rows } = await sql<LockedMailbox>`
    select ${lockedColumns(day)}
    from mailboxes m
    where m.id = ${mailboxId} and ${mayClaim(day)}
      and exists (
        select 1 from email_queues e
        where e.mailbox_id = m.id and e.status = 'scheduled' and e.scheduled_for <= now()
      )
    for no key update skip locked
  `.execute(trx);
  return rows;
}

/**
 * What is left of each locked mailbox's capacity for its local day, and how many emails are in flight. A paced
 * mailbox may take one email, and only when none of its emails is in flight and its gap has passed: its next
 * send's claim then follows the last send's record by at least the gap.
 *
 * Read by a statement of its own, after the locks are held, on purpose: under READ COMMITTED a statement sees the
 * snapshot taken when it started, and the lock on a mailbox may be granted only after another producer committed
 * its reservations for it. Read in the locking statement, those reservations would be invisible and the mailbox
 * would be over-reserved; read after the lock is held, they are always seen.
 */
async function readAllowances(
  trx: Transaction<DB>,
  locked: LockedMailbox[],
): Promise<{ allowances: MailboxAllowance[]; inFlight: number }> {
  const { rows } = await prepared(
    'read-allowances',
    sql<MailboxAllowance & { in_flight: number }>`
    select l.id, l.day::text as day,
      case
        when not l.paced then greatest(l.capacity - coalesce(c.sent_count, 0) - coalesce(c.reserved_count, 0), 0)
        when ${gapRunning(sql.ref('l.id'))} or ${mailboxInFlight(sql.ref('l.id'))} > 0 then 0
        else least(l.capacity - coalesce(c.sent_count, 0) - coalesce(c.reserved_count, 0), 1)
      end::int as remaining,
      ${inFlightSum} as in_flight
    from unnest(${locked.map((m) => m.id)}::uuid[], ${locked.map((m) => m.day)}::date[],
      ${locked.map((m) => m.capacity)}::int[], ${locked.map((m) => m.paced)}::boolean[])
      as l(id, day, capacity, paced)
    left join mailbox_daily_counts c on c.mailbox_id = l.id and c.day = l.day
  `,
  ).execute(trx);
  return {
    allowances: rows.filter((row) => row.remaining > 0).map(({ id, day, remaining }) => ({ id, day, remaining })),
    inFlight: rows[0]?.in_flight ?? 0,
  };
}

export interface ClaimResult {
  emails: ClaimedEmail[];
  /** The last mailbox this claim locked: the next claim starts after it (when none was, the `after` it was given). */
  lastMailboxId: string | null;
}

/**
 * Claims due emails of active sequences, per mailbox at most its remaining capacity (and `maxPerMailbox`), in
 * due order, and reserves that capacity on the mailbox's local day, all in one transaction. The claim token
 * is what the sender checks, so a stale or duplicated message sends nothing. The cost follows the rows claimed:
 * each mailbox reads its due rows from the partial index in order and stops at its limit.
 *
 * Backpressure: no more than `maxQueued` emails are claimed and unsettled at once (see claimLimits). A backlog
 * of a million due emails is claimed as the senders work through it, not in one transaction whose messages
 * would then wait in Kafka long enough to be republished as lost.
 *
 * A claim serves at most as many mailboxes as the queue has room for emails, taken round-robin in id order from
 * `after` (the previous claim's lastMailboxId): with a thousand mailboxes of due mail and room for a hundred
 * emails, it locks and reads a hundred mailboxes, not a thousand, and the next claim goes on with the next ones.
 */
export async function claimDueEmails(
  db: Database,
  options: {
    claimToken: string;
    daySeconds: number;
    maxPerMailbox: number;
    maxQueued: number;
    after: string | null;
    /** At most this many emails in all (default: what the other limits allow). */
    limit?: number;
    /** Only this mailbox's emails. */
    mailboxId?: string;
  },
): Promise<ClaimResult> {
  return db.transaction().execute(async (trx) => {
    const none = { emails: [], lastMailboxId: options.after };
    // A first look at the room, before any lock: at the cap, nothing is locked at all. The figure that bounds the
    // claim is read again after the locks are held (other producers may have claimed meanwhile).
    const { rows: room } = await prepared(
      'read-in-flight',
      sql<{ in_flight_before_lock: number }>`select ${inFlightSum} as in_flight_before_lock`,
    ).execute(trx);
    const budget = Math.min(options.maxQueued - room[0]!.in_flight_before_lock, options.limit ?? Infinity);
    if (budget <= 0) return none;
    const locked = await lockMailboxes(trx, {
      daySeconds: options.daySeconds,
      after: options.after,
      limit: budget,
      mailboxId: options.mailboxId,
    });
    if (locked.length === 0) return none;
    const lastMailboxId = locked[locked.length - 1]!.id;

    const { allowances: open, inFlight } = await readAllowances(trx, locked);
    const limits = claimLimits(open, { ...options, inFlight, start: Math.floor(Math.random() * open.length) });
    const allowances = open.filter((_, index) => limits[index]! > 0);
    if (allowances.length === 0) return { emails: [], lastMailboxId };
    const ids = allowances.map((allowance) => allowance.id);
    const days = allowances.map((allowance) => allowance.day);
    const allowed = limits.filter((limit) => limit > 0);
    const { rows } = await prepared(
      'claim-due-emails',
      sql<ClaimedEmail & { capacity_day: string }>`
      update email_queues e
      set status = 'queued', claim_token = ${options.claimToken}, claimed_at = now(), capacity_day = picked.day,
        republish_count = 0
      from (
        select p.id, a.day
        from unnest(${ids}::uuid[], ${days}::date[], ${allowed}::int[]) as a(mailbox_id, day, lim)
        cross join lateral (
          select e2.id
          from email_queues e2
          join sequences s on s.id = e2.sequence_id
          where e2.mailbox_id = a.mailbox_id and e2.status = 'scheduled' and e2.scheduled_for <= now()
            and s.status = 'active'
          order by e2.scheduled_for, e2.id
          limit a.lim
          for update of e2 skip locked
        ) p
      ) picked
      where e.id = picked.id
      returning e.id, e.mailbox_id, e.sequence_id, e.sequence_contact_id, e.contact_id, e.step_order,
        e.scheduled_for, e.claimed_at, e.claim_token, e.trace_context, e.capacity_day::text as capacity_day
    `,
    ).execute(trx);
    if (rows.length === 0) return { emails: [], lastMailboxId };

    // Reserve capacity per (mailbox, day), in key order so concurrent upserts cannot deadlock.
    const reserved = new Map<string, { mailboxId: string; day: string; count: number }>();
    for (const row of rows) {
      const key = `${row.mailbox_id}|${row.capacity_day}`;
      const entry = reserved.get(key) ?? { mailboxId: row.mailbox_id, day: row.capacity_day, count: 0 };
      entry.count += 1;
      reserved.set(key, entry);
    }
    const entries = [...reserved.values()].sort((a, b) => (a.mailboxId + a.day).localeCompare(b.mailboxId + b.day));
    await prepared(
      'reserve-capacity',
      sql`
      insert into mailbox_daily_counts (mailbox_id, day, reserved_count)
      select * from unnest(${entries.map((entry) => entry.mailboxId)}::uuid[], ${entries.map((entry) => entry.day)}::date[],
        ${entries.map((entry) => entry.count)}::int[])
      on conflict (mailbox_id, day) do update
        set reserved_count = mailbox_daily_counts.reserved_count + excluded.reserved_count
    `,
    ).execute(trx);
    return { emails: rows, lastMailboxId };
  });
}

/** Records a produced batch (before publishing) so operators can see what was handed to Kafka. */
export async function insertKafkaBatch(
  db: Database,
  batch: { topic: string; claimToken: string; emailIds: string[]; producerId: string },
): Promise<string> {
  const row = await db
    .insertInto('kafka_batches')
    .values({
      topic: batch.topic,
      claim_token: batch.claimToken,
      message_count: batch.emailIds.length,
      email_ids: batch.emailIds,
      producer_id: batch.producerId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function markKafkaBatch(
  db: Database,
  id: string,
  outcome: { published: true } | { published: false; error: string },
): Promise<void> {
  await db
    .updateTable('kafka_batches')
    .set(
      outcome.published
        ? { status: 'published', published_at: new Date() }
        : { status: 'failed', error_message: outcome.error },
    )
    .where('id', '=', id)
    .execute();
}

/**
 * Emails still `queued` long after their claim: their message never reached a sender (a crash after the claim
 * commit, a lost broker). Each is published again after `olderThanMs`, then after twice that, four times, up to
 * 64 times: a claim that is only waiting behind a backlog gets a few copies, not one per pass. Returned with a
 * fresh claimed_at; the token is kept, so if the old message does turn up, only one of the copies can send.
 */
export async function reclaimStaleEmails(db: Database, olderThanMs: number, limit: number): Promise<ClaimedEmail[]> {
  const { rows } = await sql<ClaimedEmail>`
    update email_queues e set claimed_at = now(), republish_count = e.republish_count + 1
    from (
      select id from email_queues
      where status = 'queued'
        -- Implied by the next line, but unlike it a range the partial index on claimed_at can serve.
        and claimed_at < now() - make_interval(secs => ${olderThanMs / 1000})
        and claimed_at < now() - make_interval(secs => ${olderThanMs / 1000} * power(2, least(republish_count, 6)))
      order by claimed_at
      limit ${limit}
      for update skip locked
    ) stale
    where e.id = stale.id
    returning e.id, e.mailbox_id, e.sequence_id, e.sequence_contact_id, e.contact_id, e.step_order,
      e.scheduled_for, e.claimed_at, e.claim_token, e.trace_context
  `.execute(db);
  return rows;
}

/**
 * A send whose lease ran out: the sender died after handing the message to SMTP or before recording the
 * outcome. It may have been delivered, so it becomes `uncertain` (never resent automatically) and counts as
 * sent against the mailbox's capacity.
 */
export async function expireSendingLeases(db: Database, limit: number): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    with expired as (
      update email_queues e
      set status = 'uncertain', error_code = 'LEASE_EXPIRED',
        error_message = 'the sender stopped before recording the SMTP outcome; the email may have been delivered',
        lease_expires_at = null
      from (
        select id from email_queues
        where status = 'sending' and lease_expires_at < now()
        order by lease_expires_at limit ${limit}
        for update skip locked
      ) due
      where e.id = due.id
      returning e.id, e.mailbox_id, e.capacity_day
    ), settled as (
      update mailbox_daily_counts c
      set reserved_count = greatest(c.reserved_count - x.n, 0), sent_count = c.sent_count + x.n
      from (select mailbox_id, capacity_day, count(*)::int as n from expired group by 1, 2 order by 1, 2) x
      where c.mailbox_id = x.mailbox_id and c.day = x.capacity_day
    )
    select id from expired
  `.execute(db);
  return rows.length;
}
