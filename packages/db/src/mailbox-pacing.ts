import { sql, type RawBuilder } from 'kysely';

/** The mailbox (the row `mailbox` names) keeps a gap between sends: it has a minimum gap or a jitter. */
export function isPaced(mailbox: string): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(`${mailbox}.min_gap_seconds`)} + ${sql.ref(`${mailbox}.gap_jitter_seconds`)} > 0)`;
}

/** The paced mailbox's gap after its last send is still running (migration 0030's mailbox_pacing). */
export function gapRunning(mailboxId: RawBuilder<string>): RawBuilder<boolean> {
  return sql<boolean>`exists (
    select 1 from mailbox_pacing p where p.mailbox_id = ${mailboxId} and p.next_send_at > now()
  )`;
}

/**
 * The mailbox's emails claimed or being sent: its reservations not yet settled. They live on the mailbox-local
 * day they were made for, today or yesterday, and any mailbox's local day is within a day of the database's.
 */
export function mailboxInFlight(mailboxId: RawBuilder<string>): RawBuilder<number> {
  return sql<number>`(
    select coalesce(sum(r.reserved_count), 0) from mailbox_daily_counts r
    where r.mailbox_id = ${mailboxId} and r.day >= (now()::date - 2) and r.reserved_count > 0
  )::int`;
}
