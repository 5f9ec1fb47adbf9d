import { sql, type Kysely } from 'kysely';

/**
 * The producer's backpressure (PRODUCER_MAX_QUEUED) sums the unsettled reservations of the last days every tick.
 * mailbox_daily_counts keeps a row per mailbox and day forever, so that sum needs the rows of a few days found by
 * day, not the whole history scanned. `day` never changes once written, so the counts' frequent updates can stay
 * HOT (no index writes) with this index in place.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index mailbox_daily_counts_day_idx on mailbox_daily_counts (day)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index mailbox_daily_counts_day_idx`.execute(db);
}
