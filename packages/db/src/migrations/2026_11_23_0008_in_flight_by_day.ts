import { sql, type Kysely } from 'kysely';

/**
 * The producer's backpressure (PRODUCER_MAX_QUEUED) sums the unsettled reservations of the last days every tick.
 * mailbox_daily_counts keeps a row per mailbox and day forever, and even the last few days hold a row per
 * mailbox: the index holds only the rows with something reserved, so the sum reads as many rows as there are
 * mailboxes with emails in flight, not the whole table or every mailbox.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create index mailbox_daily_counts_in_flight_idx on mailbox_daily_counts (day) where reserved_count > 0
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index mailbox_daily_counts_in_flight_idx`.execute(db);
}
