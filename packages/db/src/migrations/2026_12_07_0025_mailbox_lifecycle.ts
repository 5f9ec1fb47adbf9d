import { sql, type Kysely } from 'kysely';

/**
 * Mailboxes can be disabled and deleted through the API. A deleted mailbox that sent anything stays as a name in
 * its emails' history (`deleted_at`, its credentials erased, never listed or used again) and frees its address for a
 * new mailbox; one that never had an email is deleted outright.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table mailboxes add column deleted_at timestamptz;
    alter table mailboxes add constraint mailboxes_deleted_disabled_check
      check (deleted_at is null or status = 'disabled');
    drop index mailboxes_workspace_email_key;
    create unique index mailboxes_workspace_email_key on mailboxes (workspace_id, lower(email))
      where deleted_at is null;
    grant delete on mailboxes to outflow_api;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    revoke delete on mailboxes from outflow_api;
    drop index mailboxes_workspace_email_key;
    delete from mailboxes m where deleted_at is not null
      and exists (select 1 from mailboxes o where o.workspace_id = m.workspace_id and lower(o.email) = lower(m.email)
        and o.deleted_at is null);
    create unique index mailboxes_workspace_email_key on mailboxes (workspace_id, lower(email));
    alter table mailboxes drop constraint mailboxes_deleted_disabled_check;
    alter table mailboxes drop column deleted_at;
  `.execute(db);
}
