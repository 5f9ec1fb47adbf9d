import { sql, type Kysely } from 'kysely';

/**
 * An email's events outlive it (deleting a sequence, erasing a contact, a mailbox): they are unlinked from the
 * deleted rows, so the counts over time keep them. Unlinked, they no longer say which workspace they belong to,
 * and a workspace's own figures (GET /stats) lost them. Unlinking now records the workspace of the row deleted,
 * and the API's policy admits the workspace's unlinked events. Only deletes pay for it: events are written as
 * before.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table email_events add column workspace_id uuid;

    create or replace function forget_deleted_emails() returns trigger language plpgsql as $$
    begin
      delete from delivery_events where email_queue_id in (select id from deleted_rows);
      update email_events e set email_queue_id = null, workspace_id = coalesce(e.workspace_id, d.workspace_id)
      from deleted_rows d where e.email_queue_id = d.id;
      return null;
    end
    $$;
    -- The email_events column that names the deleted rows is the trigger's argument.
    create or replace function unlink_email_events() returns trigger language plpgsql as $$
    begin
      execute format(
        'update email_events e set %1$I = null, workspace_id = coalesce(e.workspace_id, d.workspace_id) '
          'from deleted_rows d where e.%1$I = d.id',
        tg_argv[0]);
      return null;
    end
    $$;
    alter function forget_deleted_emails() security definer set search_path from current;
    alter function unlink_email_events() security definer set search_path from current;

    alter policy api_workspace on email_events to outflow_api
      using (
        exists (select 1 from email_queues p where p.id = email_queue_id)
        or (email_queue_id is null and exists (select 1 from sequences p where p.id = sequence_id))
        or (email_queue_id is null and workspace_id = (select current_workspace_id()))
      )
      with check (
        exists (select 1 from email_queues p where p.id = email_queue_id)
        or (email_queue_id is null and exists (select 1 from sequences p where p.id = sequence_id))
      );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    alter policy api_workspace on email_events to outflow_api
      using (
        exists (select 1 from email_queues p where p.id = email_queue_id)
        or (email_queue_id is null and exists (select 1 from sequences p where p.id = sequence_id))
      )
      with check (
        exists (select 1 from email_queues p where p.id = email_queue_id)
        or (email_queue_id is null and exists (select 1 from sequences p where p.id = sequence_id))
      );
    create or replace function forget_deleted_emails() returns trigger language plpgsql as $$
    begin
      delete from delivery_events where email_queue_id in (select id from deleted_rows);
      update email_events set email_queue_id = null where email_queue_id in (select id from deleted_rows);
      return null;
    end
    $$;
    create or replace function unlink_email_events() returns trigger language plpgsql as $$
    begin
      execute format('update email_events set %1$I = null where %1$I in (select id from deleted_rows)', tg_argv[0]);
      return null;
    end
    $$;
    alter function forget_deleted_emails() security definer set search_path from current;
    alter function unlink_email_events() security definer set search_path from current;
    alter table email_events drop column workspace_id;
  `.execute(db);
}
