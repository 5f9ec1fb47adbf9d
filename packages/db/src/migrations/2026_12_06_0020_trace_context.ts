import { sql, type Kysely } from 'kysely';

/**
 * The trace an email belongs to crosses the database twice: from the request (or the follow-up, or the retry)
 * that scheduled the email to the producer that claims it, and from a transaction to the relay that publishes its
 * outbox rows. Each row keeps the context of what wrote it, as the propagator's fields (`{"traceparent": …}`);
 * null when tracing is off, so an untraced deployment stores nothing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table email_queues add column trace_context jsonb`.execute(db);
  await sql`alter table outbox add column trace_context jsonb`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table outbox drop column trace_context`.execute(db);
  await sql`alter table email_queues drop column trace_context`.execute(db);
}
