import { sql, type Kysely } from 'kysely';

/**
 * The producer claims each mailbox's due emails `order by scheduled_for, id limit n`. The due index had
 * (mailbox_id, scheduled_for) only, so PostgreSQL read and sorted a mailbox's whole due backlog to pick n of it:
 * the claim's cost followed the backlog, not the rows claimed (tick bench: ~150 buffers per claimed row with 100
 * due per mailbox). With id in the index the rows come out in claim order and the scan stops at the limit.
 *
 * Built inside the migration's transaction (writes to email_queues wait for it). On a very large installation,
 * build `email_queues_due_claim_idx` by hand with CREATE INDEX CONCURRENTLY first; this then only drops the old one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create index if not exists email_queues_due_claim_idx on email_queues (mailbox_id, scheduled_for, id)
      where status = 'scheduled';
    drop index if exists email_queues_due_idx;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create index if not exists email_queues_due_idx on email_queues (mailbox_id, scheduled_for)
      where status = 'scheduled';
    drop index if exists email_queues_due_claim_idx;
  `.execute(db);
}
