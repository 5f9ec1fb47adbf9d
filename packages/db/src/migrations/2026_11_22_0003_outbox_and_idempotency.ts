import { sql, type Kysely } from 'kysely';

/**
 * - outbox: Kafka messages written in the same transaction as the state change they announce (a send recorded,
 *   a failure recorded), so a crash between the commit and the produce cannot lose a follow-up or a retry. The
 *   writer publishes right after commit and deletes the row; a relay publishes whatever is left.
 * - idempotency_keys: the first answer to a create call made with an Idempotency-Key header, replayed for a
 *   repeat of the same request, so a double click never creates two sequences or two enrollments.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table outbox (
      id bigint generated always as identity primary key,
      topic text not null,
      message_key text not null,
      -- Kept on every copy, so consumers can recognise a message relayed twice.
      message_id text not null,
      payload jsonb not null,
      created_at timestamptz not null default now()
    );
    create index outbox_created_idx on outbox (created_at);

    create table idempotency_keys (
      api_key_id uuid not null references api_keys (id) on delete cascade,
      key text not null check (length(key) between 1 and 255),
      method text not null,
      path text not null,
      request_hash text not null,
      -- null while the first request is still being processed.
      status_code integer,
      response jsonb,
      created_at timestamptz not null default now(),
      primary key (api_key_id, key)
    );
    create index idempotency_keys_created_idx on idempotency_keys (created_at);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table idempotency_keys; drop table outbox;`.execute(db);
}
