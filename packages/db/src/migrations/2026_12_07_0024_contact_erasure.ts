import { sql, type Kysely } from 'kysely';

/**
 * Contacts can be erased through the API (DELETE /contacts/{id}): the API deletes the contact and unlinks and
 * scrubs its events itself, through its emails (by index). The statement trigger that unlinked events by
 * contact id searched every event for each deleted contact (email_events has no contact index, on purpose: the
 * hot insert path would pay for it), so it goes; events of an erased contact keep no link to it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger contacts_unlink_email_events on contacts;
    grant delete on contacts to outflow_api;
    grant update (contact_id, metadata, workspace_id) on email_events to outflow_api;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    revoke update (contact_id, metadata, workspace_id) on email_events from outflow_api;
    revoke delete on contacts from outflow_api;
    create trigger contacts_unlink_email_events after delete on contacts
    referencing old table as deleted_rows
    for each statement execute function unlink_email_events('contact_id');
  `.execute(db);
}
