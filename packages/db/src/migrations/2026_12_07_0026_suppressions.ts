import { sql, type Kysely } from 'kysely';

/**
 * A workspace's suppression list: addresses never written to again, and why. Checked when contacts are enrolled
 * (a suppressed one is skipped) and by the sender right before SMTP (an email whose address became suppressed after
 * it was queued is cancelled). One row per address (case-insensitive) and workspace; the sender finds it by that
 * index in the statement that loads the email.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create type suppression_reason as enum ('unsubscribed', 'bounced', 'complained', 'replied', 'manual');
    create table suppressions (
      id uuid primary key default uuid_v7(),
      workspace_id uuid not null default current_workspace_id() references workspaces (id) on delete restrict,
      email text not null check (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
      reason suppression_reason not null,
      note text check (length(note) <= 500),
      created_at timestamptz not null default now()
    );
    create unique index suppressions_workspace_email_key on suppressions (workspace_id, lower(email));

    alter table suppressions enable row level security;
    create policy pipeline_all on suppressions
      to outflow_producer, outflow_sender, outflow_scheduler, outflow_retry using (true) with check (true);
    create policy api_workspace on suppressions to outflow_api
      using (workspace_id = (select current_workspace_id()))
      with check (workspace_id = (select current_workspace_id()));
    grant select, insert, update, delete on suppressions to outflow_api;
    grant select on suppressions to outflow_sender;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table suppressions;
    drop type suppression_reason;
  `.execute(db);
}
