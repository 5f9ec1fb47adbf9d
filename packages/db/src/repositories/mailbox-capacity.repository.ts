import { sql, type Kysely } from 'kysely';
import type { DB } from '../database.generated.js';

/**
 * Settles capacity reserved by a claim on the mailbox-local day it was reserved for: as a send (`sent: true`,
 * the reservation becomes a sent count) or released (`sent: false`, nothing went out). Every path that ends a
 * claim goes through here, so reserved + sent never drifts from what was claimed.
 */
export async function settleReservation(
  db: Kysely<DB>,
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
