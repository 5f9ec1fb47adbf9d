import { sql, type Kysely } from 'kysely';

/** The inbox reader's role: created once per cluster like the others (0019), never dropped by a migration. */
const readerRole = 'outflow_reader';

/** What the reader does to each table, exactly the statements it runs. */
const readerGrants: Record<string, string> = {
  mailbox_imap:
    'select, update (lease_owner, lease_expires_at, inbox_uidvalidity, inbox_last_uid, last_checked_at, last_error, last_error_at)',
  inbound_messages: 'select, insert',
  mailboxes: 'select',
  sequences: 'select',
  contacts: 'select, update',
  sequence_contacts: 'select, update',
  email_queues: 'select, update',
  mailbox_daily_counts: 'select, update',
  suppressions: 'select, insert',
  email_events: 'select, insert',
  // Publishes its own outbox rows at once, as the sender does (the relay locks, then deletes them).
  outbox: 'select, insert, delete, update (created_at)',
};

/**
 * Inbound mail. A mailbox may have IMAP settings (`mailbox_imap`, the password encrypted as the SMTP one is),
 * followed by the inbox reader: one replica at a time per mailbox (its lease), from a checkpoint (the INBOX's
 * UIDVALIDITY and the last UID processed) that moves in the transaction that records the message, so a restart
 * neither skips nor repeats one. Each message read is recorded (`inbound_messages`, unique per UID) with what it was
 * taken for: a reply, an auto-reply, a bounce (hard or soft), an unsubscribe request (the List-Unsubscribe
 * mailto) or other. A reply ends enrollments as `replied`; the
 * sequence's `reply_stops` says which: every active one of the contact in the workspace (the default) or this
 * sequence's only.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter type enrollment_status add value if not exists 'replied';
    create type reply_scope as enum ('workspace', 'sequence');
    alter table sequences add column reply_stops reply_scope not null default 'workspace';

    create table mailbox_imap (
      mailbox_id uuid primary key references mailboxes (id) on delete cascade,
      workspace_id uuid not null default current_workspace_id() references workspaces (id) on delete restrict,
      host text not null check (length(host) between 1 and 253),
      port integer not null check (port between 1 and 65535),
      -- true: TLS from the first byte (993); false: plain, upgraded by STARTTLS where the server offers it.
      tls boolean not null default true,
      username text not null check (length(username) between 1 and 500),
      encrypted_password text,
      password_key_id text,
      -- The folder where the provider keeps sent mail; null: the one marked \\Sent (RFC 6154).
      sent_folder text check (length(sent_folder) <= 500),
      lease_owner text,
      lease_expires_at timestamptz,
      inbox_uidvalidity bigint,
      inbox_last_uid bigint,
      last_checked_at timestamptz,
      last_error text,
      last_error_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create type inbound_kind as enum ('reply', 'auto_reply', 'bounce', 'unsubscribe', 'other');
    create type bounce_type as enum ('hard', 'soft');
    create table inbound_messages (
      id uuid primary key default uuid_v7(),
      workspace_id uuid not null references workspaces (id) on delete restrict,
      mailbox_id uuid not null references mailboxes (id) on delete cascade,
      uidvalidity bigint not null,
      uid bigint not null,
      message_id text,
      kind inbound_kind not null,
      bounce_type bounce_type check ((kind = 'bounce') = (bounce_type is not null)),
      from_address text,
      subject text,
      -- The email it answers or reports on, and its contact: no foreign keys, the history outlives retention.
      email_id uuid,
      contact_id uuid,
      recipient text,
      status_code text,
      diagnostic text,
      stopped_enrollments integer not null default 0,
      received_at timestamptz,
      processed_at timestamptz not null default now(),
      unique (mailbox_id, uidvalidity, uid)
    );
    create index inbound_messages_contact_idx on inbound_messages (contact_id) where contact_id is not null;
  `.execute(db);

  await sql`
    do $$ begin
      if not exists (select 1 from pg_roles where rolname = ${sql.lit(readerRole)}) then
        create role ${sql.id(readerRole)} nologin;
      end if;
    exception when duplicate_object or unique_violation then null;
    end $$;
    grant usage on schema ${sql.id(await currentSchema(db))} to ${sql.id(readerRole)};
  `.execute(db);
  for (const [table, grants] of Object.entries(readerGrants)) {
    await sql`grant ${sql.raw(grants)} on ${sql.table(table)} to ${sql.id(readerRole)}`.execute(db);
    // The reader works for every workspace, as the other pipeline services do.
    await sql`
      alter table ${sql.table(table)} enable row level security;
      create policy reader_all on ${sql.table(table)} to ${sql.id(readerRole)} using (true) with check (true);
    `.execute(db);
  }

  await sql`
    grant select, insert, update, delete on mailbox_imap to outflow_api;
    create policy api_workspace on mailbox_imap to outflow_api
      using (workspace_id = (select current_workspace_id()))
      with check (workspace_id = (select current_workspace_id())
        and exists (select 1 from mailboxes p where p.id = mailbox_id));
    -- The API lists a contact's inbound messages and erases them with the contact.
    grant select, delete on inbound_messages to outflow_api;
    create policy api_workspace on inbound_messages to outflow_api
      using (workspace_id = (select current_workspace_id()));
  `.execute(db);
}

async function currentSchema(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]!.schema;
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of Object.keys(readerGrants).filter(
    (table) => !['mailbox_imap', 'inbound_messages'].includes(table),
  )) {
    await sql`
      drop policy reader_all on ${sql.table(table)};
      revoke all on ${sql.table(table)} from ${sql.id(readerRole)};
    `.execute(db);
  }
  // An enum value cannot be dropped: enrollments that ended by a reply are shown as cancelled.
  await sql`
    update sequence_contacts set status = 'cancelled' where status = 'replied';
    drop table inbound_messages;
    drop type bounce_type;
    drop type inbound_kind;
    drop table mailbox_imap;
    alter table sequences drop column reply_stops;
    drop type reply_scope;
  `.execute(db);
}
