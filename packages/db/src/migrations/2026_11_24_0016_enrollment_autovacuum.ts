import { sql, type Kysely } from 'kysely';

/**
 * sequence_contacts is rewritten as often as the email queue: every email sent moves its enrollment's current
 * step, and the last one completes it. With PostgreSQL's default autovacuum (after 20% of the table changed) its
 * dead row versions only ever grew in the benchmark's 30-minute soak at 456 emails/s: 45 000 at the end, below
 * the default threshold of that table. Every lookup of an enrollment (the scheduler's lock, the sender's context
 * read, the API) walks the dead versions left in its index. Vacuumed after 1% of the table plus 10 000 rows, as
 * email_queues is (migration 0009), they stay a few minutes' worth at any size.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table sequence_contacts set (
      autovacuum_vacuum_scale_factor = 0.01,
      autovacuum_vacuum_threshold = 10000,
      autovacuum_analyze_scale_factor = 0.02
    )
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    alter table sequence_contacts reset (
      autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor
    )
  `.execute(db);
}
