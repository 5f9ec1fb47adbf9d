import { sql, type Kysely } from 'kysely';
import { deliveriesAudit, deliveriesTable } from './2026_11_22_0001_initial_schema.js';
import { syncDeliveryFromEmail } from './2026_11_23_0005_cheaper_delivery_sync.js';
import { deliveryStatusChanged, deliveryStatusOf, syncUpdateTrigger } from './2026_11_23_0007_cheaper_status_writes.js';

/**
 * The delivery status is read from the email itself; the `deliveries` table that mirrored it is gone.
 *
 * `deliveries` held one row per email, kept in step with `email_queues` by a trigger: an insert when the email
 * was created and an update at each status change (sending, then sent), each of them a new row version with four
 * index entries plus an updated_at trigger. Nothing read it but the API's join for one column, which is a pure
 * function of the email's row. In the benchmark's L drain that mirror was a third of all PostgreSQL statement time
 * (insert 218 s and update 324 s for 1e6 emails) and left 1.8e6 dead rows behind.
 *
 * What stays is the audit trail: `delivery_events` gets a row at every change of an email's delivery status, now
 * written by a trigger on `email_queues` and keyed by the email. The status that used to live only on the
 * delivery (`dead_letter`) becomes `email_queues.dead_lettered_at`: while it is set, an email waiting for a
 * (re)send shows `dead_letter`, and any other status (sending, sent, failed, ...) shows as itself, as before.
 */

/**
 * email_delivery_status() of the trigger row `row`, spelled out. A trigger's WHEN and the trigger function's
 * insert do not inline SQL functions: every call would start an executor (see 0007), and the first version of this
 * migration, which called the function there, made each audit insert three times dearer.
 */
export function emailDeliveryStatusOf(row: string) {
  const status = deliveryStatusOf(row);
  return sql`(case
    when ${sql.raw(row)}.dead_lettered_at is not null and ${status} in ('queued', 'retrying')
      then 'dead_letter'::delivery_status
    else ${status}
  end)`;
}

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger email_queues_sync_delivery_insert on email_queues;
    drop trigger email_queues_sync_delivery_update on email_queues;
    drop function sync_delivery_from_email();

    alter table email_queues add column dead_lettered_at timestamptz;
    update email_queues e set dead_lettered_at = d.updated_at
    from deliveries d where d.email_queue_id = e.id and d.status = 'dead_letter';

    create function email_delivery_status(status email_status, retry_count integer, dead_lettered_at timestamptz)
    returns delivery_status language sql immutable as $$
      select case
        when dead_lettered_at is not null and delivery_status_for(status, retry_count) in ('queued', 'retrying')
          then 'dead_letter'::delivery_status
        else delivery_status_for(status, retry_count)
      end
    $$;

    alter table delivery_events add column email_queue_id uuid references email_queues (id) on delete cascade;
    update delivery_events de set email_queue_id = d.email_queue_id from deliveries d where d.id = de.delivery_id;
    alter table delivery_events alter column email_queue_id set not null;
    -- Also drops delivery_events_delivery_idx and the foreign key to deliveries.
    alter table delivery_events drop column delivery_id;
    create index delivery_events_email_idx on delivery_events (email_queue_id, occurred_at);

    drop table deliveries;

    ${rowAuditTrail}
  `.execute(db);
}

/** The audit trail: one row on every change of an email's delivery status, whoever made it (row by row). */
export const rowAuditTrail = sql`
    create or replace function record_delivery_event() returns trigger language plpgsql as $$
    begin
      insert into delivery_events (email_queue_id, from_status, to_status, attempts, error_code, error_message)
      values (
        new.id,
        case when tg_op = 'UPDATE' then ${emailDeliveryStatusOf('old')} end,
        ${emailDeliveryStatusOf('new')},
        new.attempts, new.error_code, new.error_message
      );
      return null;
    end
    $$;

    create trigger email_queues_audit_insert after insert on email_queues
    for each row execute function record_delivery_event();

    create trigger email_queues_audit_update after update on email_queues
    for each row
    when (${emailDeliveryStatusOf('old')} is distinct from ${emailDeliveryStatusOf('new')})
    execute function record_delivery_event();
`;

/** Rebuilds `deliveries` from the emails (as migration 0007 left it) and points the audit trail back at it. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger email_queues_audit_insert on email_queues;
    drop trigger email_queues_audit_update on email_queues;

    ${deliveriesTable}
    create trigger deliveries_set_updated_at before update on deliveries
    for each row execute function set_updated_at();

    insert into deliveries (
      email_queue_id, recipient, status, attempts, last_error_code, last_error_message,
      queued_at, last_attempted_at, sent_at, created_at, updated_at
    )
    select e.id, c.email, email_delivery_status(e.status, e.retry_count, e.dead_lettered_at), e.attempts,
      e.error_code, e.error_message, e.created_at, e.last_attempt_at, e.sent_at, e.created_at, e.updated_at
    from email_queues e join contacts c on c.id = e.contact_id;

    alter table delivery_events add column delivery_id uuid references deliveries (id) on delete cascade;
    update delivery_events de set delivery_id = d.id from deliveries d where d.email_queue_id = de.email_queue_id;
    alter table delivery_events alter column delivery_id set not null;
    alter table delivery_events drop column email_queue_id;
    create index delivery_events_delivery_idx on delivery_events (delivery_id, occurred_at);

    -- The email-keyed version from up is replaced by the initial schema's, keyed by the delivery.
    drop function record_delivery_event();
    ${deliveriesAudit}

    drop function email_delivery_status(email_status, integer, timestamptz);
    alter table email_queues drop column dead_lettered_at;

    ${syncDeliveryFromEmail}

    create trigger email_queues_sync_delivery_insert after insert on email_queues
    for each row execute function sync_delivery_from_email();
    ${syncUpdateTrigger(deliveryStatusChanged)}
  `.execute(db);
}
