import { sql } from 'kysely';
import type { Database } from '../create-db.js';
import { prepared } from '../prepared-statements.js';

/**
 * Settles capacity reserved by a claim on the mailbox-local day it was reserved for: as a send (`sent: true`,
 * the reservation becomes a sent count) or released (`sent: false`, nothing went out). Every path that ends a
 * claim goes through here, so reserved + sent never drifts from what was claimed.
 */
export async function settleReservation(
  db: Database,
  reservation: { mailboxId: string; day: string; count?: number; sent: boolean },
): Promise<void> {
  const count = reservation.count ?? 1;
  await db
    .updateTable('mailbox_daily_counts')
    .set({
      reserved_count: sql`greatest(reserved_count - ${count}, 0)`,
      ...(reservation.sent ? { sent_count: sql`sent_count + ${count}` } : {}),
    })
    .where('mailbox_id', '=', reservation.mailboxId)
    .where('day', '=', reservation.day)
    .execute();
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
    'settle-reservations',
    sql`
    with settled as (
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
