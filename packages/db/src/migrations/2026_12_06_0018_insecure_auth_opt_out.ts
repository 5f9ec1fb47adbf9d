import { sql, type Kysely } from 'kysely';

/**
 * The sender sends SMTP credentials only over TLS (implicit, or STARTTLS it requires, the server's certificate
 * verified). A mailbox may opt out for a local test server that offers no TLS; the opt-out is refused and
 * ignored unless the deployment runs in development mode (`OUTFLOW_MODE=development`). Off for every mailbox.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table mailboxes add column smtp_allow_insecure_auth boolean not null default false`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table mailboxes drop column smtp_allow_insecure_auth`.execute(db);
}
