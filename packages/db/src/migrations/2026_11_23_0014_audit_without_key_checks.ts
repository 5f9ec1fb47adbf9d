import { sql, type Kysely } from 'kysely';

/**
 * The audit tables keep what their foreign keys did on delete, without a key check for every row they record.
 *
 * `delivery_events.email_queue_id` (on delete cascade) and `email_events`' email, sequence, contact and mailbox
 * (on delete set null) were foreign keys. Every audit row ran one key check per key: a `SELECT ... FOR KEY
 * SHARE` on the row it names. Every email records three delivery events and at least one email event, and in a
 * profiled S drain those checks were ~0.06 ms an email, 7% of PostgreSQL's time. What they guarded cannot happen:
 * each audit row is written by the statement (or in the transaction) that changed, and so locked, the row it
 * names.
 *
 * What the keys did on delete is now done by statement triggers, once per delete statement: deleting emails
 * deletes their delivery events and unlinks their email events; deleting a sequence, contact or mailbox unlinks
 * its email events. The audit rows themselves stay, as before.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table delivery_events drop constraint delivery_events_email_queue_id_fkey;
    alter table email_events
      drop constraint email_events_email_queue_id_fkey,
      drop constraint email_events_sequence_id_fkey,
      drop constraint email_events_contact_id_fkey,
      drop constraint email_events_mailbox_id_fkey;

    create function forget_deleted_emails() returns trigger language plpgsql as $$
    begin
      delete from delivery_events where email_queue_id in (select id from deleted_rows);
      update email_events set email_queue_id = null where email_queue_id in (select id from deleted_rows);
      return null;
    end
    $$;
    create trigger email_queues_forget_deleted after delete on email_queues
    referencing old table as deleted_rows
    for each statement execute function forget_deleted_emails();

    -- The email_events column that names the deleted rows is the trigger's argument.
    create function unlink_email_events() returns trigger language plpgsql as $$
    begin
      execute format('update email_events set %1$I = null where %1$I in (select id from deleted_rows)', tg_argv[0]);
      return null;
    end
    $$;
    create trigger sequences_unlink_email_events after delete on sequences
    referencing old table as deleted_rows
    for each statement execute function unlink_email_events('sequence_id');
    create trigger contacts_unlink_email_events after delete on contacts
    referencing old table as deleted_rows
    for each statement execute function unlink_email_events('contact_id');
    create trigger mailboxes_unlink_email_events after delete on mailboxes
    referencing old table as deleted_rows
    for each statement execute function unlink_email_events('mailbox_id');
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger email_queues_forget_deleted on email_queues;
    drop trigger sequences_unlink_email_events on sequences;
    drop trigger contacts_unlink_email_events on contacts;
    drop trigger mailboxes_unlink_email_events on mailboxes;
    drop function forget_deleted_emails();
    drop function unlink_email_events();
    alter table delivery_events add constraint delivery_events_email_queue_id_fkey
      foreign key (email_queue_id) references email_queues (id) on delete cascade;
    alter table email_events
      add constraint email_events_email_queue_id_fkey
        foreign key (email_queue_id) references email_queues (id) on delete set null,
      add constraint email_events_sequence_id_fkey
        foreign key (sequence_id) references sequences (id) on delete set null,
      add constraint email_events_contact_id_fkey
        foreign key (contact_id) references contacts (id) on delete set null,
      add constraint email_events_mailbox_id_fkey
        foreign key (mailbox_id) references mailboxes (id) on delete set null;
  `.execute(db);
}
