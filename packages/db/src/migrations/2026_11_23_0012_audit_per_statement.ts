import { sql, type Kysely } from 'kysely';
import { emailDeliveryStatusOf, rowAuditTrail } from './2026_11_23_0010_delivery_status_from_email.js';

/**
 * The audit trail is written once per statement instead of once per row: the same events, fewer executions.
 *
 * Every email gets three audit events on the happy path (queued, in progress, sent), and the services change
 * emails in batches (the sender's start and sent records, the scheduler's next steps: ~10-100 rows a statement).
 * Row triggers ran a PL/pgSQL function and a one-row INSERT for each event: in a profiled S drain that was 0.127 ms
 * an event, a quarter of all PostgreSQL statement time. Statement triggers with transition tables insert all of a
 * statement's events with one INSERT ... SELECT; the old and new versions of an updated row are paired by id (the
 * primary key, which no statement changes).
 *
 * A statement trigger fires also for a statement that changes no row or no delivery status (a claim): it then
 * inserts nothing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger email_queues_audit_insert on email_queues;
    drop trigger email_queues_audit_update on email_queues;
    drop function record_delivery_event();

    create function record_delivery_events_inserted() returns trigger language plpgsql as $$
    begin
      insert into delivery_events (email_queue_id, from_status, to_status, attempts, error_code, error_message)
      select n.id, null, ${emailDeliveryStatusOf('n')}, n.attempts, n.error_code, n.error_message
      from inserted_emails n;
      return null;
    end
    $$;

    -- Never a nested loop: the plan is made once per session, without knowing how many rows the transition
    -- tables will hold, and a nested loop over two of 10 000 rows (a big claim) took 24 s in the S drain.
    create function record_delivery_events_updated() returns trigger language plpgsql
    set enable_nestloop = off as $$
    begin
      insert into delivery_events (email_queue_id, from_status, to_status, attempts, error_code, error_message)
      select n.id, ${emailDeliveryStatusOf('o')}, ${emailDeliveryStatusOf('n')}, n.attempts, n.error_code,
        n.error_message
      from updated_emails n join previous_emails o on o.id = n.id
      where ${emailDeliveryStatusOf('o')} is distinct from ${emailDeliveryStatusOf('n')};
      return null;
    end
    $$;

    create trigger email_queues_audit_insert after insert on email_queues
    referencing new table as inserted_emails
    for each statement execute function record_delivery_events_inserted();

    create trigger email_queues_audit_update after update on email_queues
    referencing old table as previous_emails new table as updated_emails
    for each statement execute function record_delivery_events_updated();
  `.execute(db);
}

/** Back to 0010's row triggers. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger email_queues_audit_insert on email_queues;
    drop trigger email_queues_audit_update on email_queues;
    drop function record_delivery_events_inserted();
    drop function record_delivery_events_updated();
    ${rowAuditTrail}
  `.execute(db);
}
