import { sql, type Kysely } from 'kysely';

/**
 * The producer reports the outbox backlog (how many messages wait and since when) on /metrics. It needs one column
 * for that, not the messages: count(*) and min(created_at) read only `created_at`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`grant select (created_at) on outbox to outflow_producer`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`revoke select (created_at) on outbox from outflow_producer`.execute(db);
}
