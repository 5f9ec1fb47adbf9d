import { sql, type Kysely, type RawBuilder } from 'kysely';

/** The workspace every row that existed before workspaces belongs to. */
export const defaultWorkspaceId = '00000000-0000-0000-0000-000000000001';

/** The roles the services use. Group roles (no login): a deployment's logins are members of them. */
export const serviceRoles = {
  api: 'outflow_api',
  producer: 'outflow_producer',
  sender: 'outflow_sender',
  scheduler: 'outflow_scheduler',
  retry: 'outflow_retry',
} as const;

/** A table privilege; `update (column)` where a role only locks rows (FOR UPDATE needs an UPDATE privilege). */
type Grant = 'select' | 'insert' | 'update' | 'delete' | `update (${string})`;

/**
 * What each pipeline service may do to each table: exactly the statements it runs. The audit triggers write as
 * their owner (security definer), so no service writes an audit row of its own.
 */
const pipelineGrants: Record<Exclude<keyof typeof serviceRoles, 'api'>, Record<string, Grant[]>> = {
  producer: {
    email_queues: ['select', 'update'],
    mailbox_daily_counts: ['select', 'insert', 'update'],
    // Claims lock their mailboxes (FOR NO KEY UPDATE) without changing them.
    mailboxes: ['select', 'update (updated_at)'],
    sequences: ['select'],
    kafka_batches: ['select', 'insert', 'update'],
  },
  sender: {
    email_queues: ['select', 'update'],
    sequence_contacts: ['select', 'update'],
    contacts: ['select'],
    mailboxes: ['select'],
    steps: ['select'],
    mailbox_daily_counts: ['select', 'update'],
    email_events: ['select', 'insert'],
    // The relay locks the rows it publishes (FOR UPDATE SKIP LOCKED), then deletes them.
    outbox: ['select', 'insert', 'delete', 'update (created_at)'],
  },
  scheduler: {
    email_queues: ['select', 'insert', 'update'],
    sequence_contacts: ['select', 'update'],
    steps: ['select'],
    email_events: ['select', 'insert'],
    followup_scan_progress: ['select', 'insert', 'update'],
  },
  retry: {
    email_queues: ['select', 'update'],
    sequence_contacts: ['select', 'update'],
    email_events: ['select', 'insert'],
  },
};

/**
 * The API's tables and what it may do; every row it sees or writes is of the workspace its request set
 * (`outflow.workspace_id`, transaction-local). API keys are read only through authenticate_api_key().
 */
const apiGrants: Record<string, Grant[]> = {
  workspaces: ['select'],
  mailboxes: ['select', 'insert', 'update'],
  sequences: ['select', 'insert', 'update'],
  steps: ['select', 'insert', 'update', 'delete'],
  sequence_mailboxes: ['select', 'insert', 'update', 'delete'],
  contacts: ['select', 'insert', 'update'],
  sequence_contacts: ['select', 'insert', 'update'],
  email_queues: ['select', 'insert', 'update'],
  mailbox_daily_counts: ['select', 'insert', 'update'],
  email_events: ['select', 'insert'],
  delivery_events: ['select'],
  idempotency_keys: ['select', 'insert', 'update', 'delete'],
};

/** Tables whose rows carry their workspace; the others' rows belong to the workspace of the row they describe. */
const tenantTables = [
  'api_keys',
  'idempotency_keys',
  'mailboxes',
  'sequences',
  'steps',
  'sequence_mailboxes',
  'contacts',
  'sequence_contacts',
  'email_queues',
];

const allTables = [
  ...tenantTables,
  'workspaces',
  'mailbox_daily_counts',
  'email_events',
  'delivery_events',
  'outbox',
  'kafka_batches',
  'followup_scan_progress',
];

/** The request's workspace, evaluated once per statement (an InitPlan), so the policies can use indexes. */
const current = sql.raw('(select current_workspace_id())');
const visible = (table: string, column: string, reference = 'id'): RawBuilder<unknown> =>
  sql.raw(`exists (select 1 from ${table} p where p.${reference} = ${column})`);

/**
 * The API role's policies. A row of the workspace is readable and writable; a row that points at another tenant
 * row may be written only if that row is visible too (the subqueries run under the same policies), so an id from
 * another workspace cannot be linked even though the foreign key alone would accept it.
 */
const apiPolicies: Array<{ table: string; using: RawBuilder<unknown>; check?: RawBuilder<unknown> }> = [
  { table: 'workspaces', using: sql`id = ${current}` },
  { table: 'mailboxes', using: sql`workspace_id = ${current}` },
  { table: 'sequences', using: sql`workspace_id = ${current}` },
  { table: 'contacts', using: sql`workspace_id = ${current}` },
  { table: 'idempotency_keys', using: sql`workspace_id = ${current}` },
  {
    table: 'steps',
    using: sql`workspace_id = ${current}`,
    check: sql`workspace_id = ${current} and ${visible('sequences', 'sequence_id')}`,
  },
  {
    table: 'sequence_mailboxes',
    using: sql`workspace_id = ${current}`,
    check: sql`workspace_id = ${current} and ${visible('sequences', 'sequence_id')} and ${visible('mailboxes', 'mailbox_id')}`,
  },
  {
    table: 'sequence_contacts',
    using: sql`workspace_id = ${current}`,
    check: sql`workspace_id = ${current} and ${visible('sequences', 'sequence_id')}
      and ${visible('contacts', 'contact_id')} and ${visible('mailboxes', 'mailbox_id')}`,
  },
  {
    table: 'email_queues',
    using: sql`workspace_id = ${current}`,
    check: sql`workspace_id = ${current} and ${visible('sequence_contacts', 'sequence_contact_id')}
      and ${visible('steps', 'step_id')}`,
  },
  { table: 'mailbox_daily_counts', using: visible('mailboxes', 'mailbox_id') },
  {
    table: 'email_events',
    using: sql`${visible('email_queues', 'email_queue_id')}
      or (email_queue_id is null and ${visible('sequences', 'sequence_id')})`,
  },
  { table: 'delivery_events', using: visible('email_queues', 'email_queue_id') },
];

/** Trigger functions that write other tables: they run as their owner, so no service needs those grants. */
const definerFunctions = [
  'record_delivery_events_inserted()',
  'record_delivery_events_updated()',
  'forget_deleted_emails()',
  'unlink_email_events()',
];

/**
 * Workspaces: every tenant row carries its workspace; PostgreSQL row-level security confines the API's role to
 * the workspace of the request; each service connects as a role with only the grants it needs. The migrating
 * role owns the schema (and bypasses row-level security, as an owner does); no service should connect as it.
 *
 * Existing rows and API keys join the default workspace (the column's default when added, then the request's
 * workspace: an insert outside a request that names none fails, instead of landing in some workspace). Existing
 * keys keep every scope they had in effect (read, write, admin). Contacts and mailboxes become unique per
 * workspace instead of across the installation.
 *
 * Creating the roles needs CREATEROLE; where the migrating role lacks it, create them first (docs/security.md).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table workspaces (
      id uuid primary key default uuid_v7(),
      name text not null check (length(name) between 1 and 200),
      created_at timestamptz not null default now()
    );
    insert into workspaces (id, name) values (${sql.lit(defaultWorkspaceId)}, 'Default');

    create function current_workspace_id() returns uuid language sql stable as $$
      select nullif(current_setting('outflow.workspace_id', true), '')::uuid
    $$;
  `.execute(db);

  for (const table of tenantTables) {
    // Parents reference the workspace; children (and the hot email rows) copy their parent's, with no key check.
    const reference = ['api_keys', 'mailboxes', 'sequences', 'contacts'].includes(table)
      ? sql`references workspaces (id) on delete restrict`
      : sql``;
    await sql`
      alter table ${sql.table(table)}
        add column workspace_id uuid not null default ${sql.lit(defaultWorkspaceId)} ${reference};
      alter table ${sql.table(table)} alter column workspace_id set default current_workspace_id();
    `.execute(db);
  }

  await sql`
    drop index contacts_email_key;
    create unique index contacts_workspace_email_key on contacts (workspace_id, lower(email));
    drop index mailboxes_email_key;
    create unique index mailboxes_workspace_email_key on mailboxes (workspace_id, lower(email));
    create index api_keys_workspace_idx on api_keys (workspace_id);

    alter table api_keys
      add column scopes text[] not null default '{read,write,admin}'
        check (cardinality(scopes) > 0 and scopes <@ '{read,write,admin}'),
      add column expires_at timestamptz;
    alter table api_keys alter column scopes drop default;
  `.execute(db);

  // Roles are shared by every database of the cluster: created once, never dropped by a migration.
  for (const role of Object.values(serviceRoles)) {
    await sql`
      do $$ begin
        if not exists (select 1 from pg_roles where rolname = ${sql.lit(role)}) then
          create role ${sql.id(role)} nologin;
        end if;
      exception when duplicate_object or unique_violation then null;
      end $$;
      grant usage on schema ${sql.id(await currentSchema(db))} to ${sql.id(role)};
    `.execute(db);
  }

  for (const fn of definerFunctions) {
    await sql`alter function ${sql.raw(fn)} security definer set search_path from current`.execute(db);
  }

  for (const [service, tables] of Object.entries(pipelineGrants)) {
    const role = serviceRoles[service as keyof typeof pipelineGrants];
    for (const [table, grants] of Object.entries(tables)) {
      await sql`grant ${sql.raw(grants.join(', '))} on ${sql.table(table)} to ${sql.id(role)}`.execute(db);
    }
  }
  for (const [table, grants] of Object.entries(apiGrants)) {
    await sql`grant ${sql.raw(grants.join(', '))} on ${sql.table(table)} to ${sql.id(serviceRoles.api)}`.execute(db);
  }

  const pipeline = sql.join(
    Object.keys(pipelineGrants).map((service) => sql.id(serviceRoles[service as keyof typeof pipelineGrants])),
  );
  for (const table of allTables) {
    // The pipeline services work for every workspace: their policies admit every row their grants reach.
    await sql`
      alter table ${sql.table(table)} enable row level security;
      create policy pipeline_all on ${sql.table(table)} to ${pipeline} using (true) with check (true);
    `.execute(db);
  }
  for (const policy of apiPolicies) {
    await sql`
      create policy api_workspace on ${sql.table(policy.table)} to ${sql.id(serviceRoles.api)}
        using (${policy.using}) with check (${policy.check ?? policy.using})
    `.execute(db);
  }

  // The one way the API reads keys: by hash, before it knows the workspace. Touches last_used_at at most once a
  // minute per key, so a busy key does not write a row version per request.
  await sql`
    create function authenticate_api_key(hash text)
    returns table (id uuid, workspace_id uuid, scopes text[], expired boolean)
    language plpgsql security definer set search_path from current as $$
    declare
      found_key api_keys;
    begin
      select * into found_key from api_keys k where k.key_hash = hash and k.revoked_at is null;
      if not found then return; end if;
      if found_key.expires_at is not null and found_key.expires_at <= now() then
        return query select found_key.id, found_key.workspace_id, found_key.scopes, true;
        return;
      end if;
      if found_key.last_used_at is null or found_key.last_used_at < now() - interval '1 minute' then
        update api_keys k set last_used_at = now() where k.id = found_key.id;
      end if;
      return query select found_key.id, found_key.workspace_id, found_key.scopes, false;
    end
    $$;
    revoke all on function authenticate_api_key(text) from public;
    grant execute on function authenticate_api_key(text) to ${sql.id(serviceRoles.api)};
  `.execute(db);
}

async function currentSchema(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]!.schema;
}

/** Back to one tenant: policies, grants and workspace columns go; the roles stay (other databases may use them). */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function authenticate_api_key(text)`.execute(db);
  for (const table of allTables) {
    await sql`
      drop policy if exists api_workspace on ${sql.table(table)};
      drop policy if exists pipeline_all on ${sql.table(table)};
      alter table ${sql.table(table)} disable row level security;
    `.execute(db);
  }
  for (const role of Object.values(serviceRoles)) {
    await sql`
      do $$ begin
        if exists (select 1 from pg_roles where rolname = ${sql.lit(role)}) then
          execute format('revoke all on all tables in schema %I from %I', current_schema(), ${sql.lit(role)});
          execute format('revoke usage on schema %I from %I', current_schema(), ${sql.lit(role)});
        end if;
      end $$;
    `.execute(db);
  }
  for (const fn of definerFunctions) {
    await sql`alter function ${sql.raw(fn)} security invoker reset search_path`.execute(db);
  }
  await sql`
    alter table api_keys drop column scopes, drop column expires_at;
    drop index api_keys_workspace_idx;
    drop index mailboxes_workspace_email_key;
    create unique index mailboxes_email_key on mailboxes (lower(email));
    drop index contacts_workspace_email_key;
    create unique index contacts_email_key on contacts (lower(email));
  `.execute(db);
  for (const table of tenantTables) {
    await sql`alter table ${sql.table(table)} drop column workspace_id`.execute(db);
  }
  await sql`
    drop function current_workspace_id();
    drop table workspaces;
  `.execute(db);
}
