import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../create-db.js';
import { isPaced } from '../mailbox-pacing.js';
import { prepared } from '../prepared-statements.js';

/**
 * A data-modifying step for a statement that records sends: each paced mailbox among `mailboxIds` may take its
 * next claim only after its minimum gap plus a random share of its jitter (migration 0030). An unpaced mailbox
 * writes nothing.
 */
function paceAfterSends(mailboxIds: readonly string[]): RawBuilder<unknown> {
  return sql`paced as (
    insert into mailbox_pacing (mailbox_id, next_send_at)
    select m.id, now() + make_interval(secs => m.min_gap_seconds + random() * m.gap_jitter_seconds)
    from mailboxes m
    where m.id = any(${[...new Set(mailboxIds)]}::uuid[]) and ${isPaced('m')}
    order by m.id
    on conflict (mailbox_id) do update set next_send_at = excluded.next_send_at
  ),`;
}

/**
 * Settles capacity reserved by a claim on the mailbox-local day it was reserved for: as a send (`sent: true`,
 * the reservation becomes a sent count and a paced mailbox's gap starts) or released (`sent: false`, nothing
 * went out). Every path that ends a claim goes through here, so reserved + sent never drifts from what was
 * claimed.
 */
export async function settleReservation(
  db: Database,
  reservation: { mailboxId: string; day: string; count?: number; sent: boolean },
): Promise<void> {
  await settleReservations(
    db,
    [{ mailboxId: reservation.mailboxId, day: reservation.day, count: reservation.count ?? 1 }],
    reservation.sent,
  );
}

/**
 * settleReservation for many (mailbox, day) pairs in one statement, locking the rows in key order so that
 * concurrent settlers and the producer's reservations queue up instead of deadlocking.
 */
export async function settleReservations(
  db: Database,
  reservations: readonly { mailboxId: string; day: string; count: number }[],
  sent: boolean,
): Promise<void> {
  if (reservations.length === 0) return;
  await prepared(
    sent ? 'settle-sent-reservations' : 'settle-released-reservations',
    sql`
    with ${sent ? paceAfterSends(reservations.map((r) => r.mailboxId)) : sql``} settled as (
      select counts.mailbox_id, counts.day, settle.count from mailbox_daily_counts counts
      join unnest(${reservations.map((r) => r.mailboxId)}::uuid[], ${reservations.map((r) => r.day)}::date[],
        ${reservations.map((r) => r.count)}::int[]) as settle(mailbox_id, day, count)
        on counts.mailbox_id = settle.mailbox_id and counts.day = settle.day
      order by counts.mailbox_id, counts.day
      for no key update of counts
    )
    update mailbox_daily_counts counts
    set reserved_count = greatest(counts.reserved_count - settled.count, 0),
        sent_count = counts.sent_count + ${sent ? sql`settled.count` : sql`0`}
    from settled where counts.mailbox_id = settled.mailbox_id and counts.day = settled.day
  `,
  ).execute(db);
}
