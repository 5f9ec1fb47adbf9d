import { sql, type Kysely } from 'kysely';

/** The delivery sync function as this migration defines it (migration 0010's down defines it again). */
const syncDeliveryFromEmail = sql`
    create or replace function sync_delivery_from_email() returns trigger language plpgsql as $$
    declare
      next_status delivery_status := delivery_status_for(new.status, new.retry_count);
    begin
      if tg_op = 'UPDATE' then
        update deliveries d set
          -- dead_letter is set on the delivery directly; a later email change that is not terminal keeps it.
          status = case
            when d.status = 'dead_letter' and next_status in ('queued', 'retrying') then d.status
            else next_status
          end,
          attempts = new.attempts,
          last_error_code = new.error_code,
          last_error_message = new.error_message,
          last_attempted_at = new.last_attempt_at,
          sent_at = new.sent_at
        where d.email_queue_id = new.id;
        if found then
          return null;
        end if;
      end if;
      insert into deliveries as d (
        email_queue_id, recipient, status, attempts, last_error_code, last_error_message,
        queued_at, last_attempted_at, sent_at
      )
      values (
        new.id,
        (select email from contacts where id = new.contact_id),
        next_status,
        new.attempts, new.error_code, new.error_message,
        new.created_at, new.last_attempt_at, new.sent_at
      )
      on conflict (email_queue_id) do update set
        status = case
          when d.status = 'dead_letter' and excluded.status in ('queued', 'retrying') then d.status
          else excluded.status
        end,
        attempts = excluded.attempts,
        last_error_code = excluded.last_error_code,
        last_error_message = excluded.last_error_message,
        last_attempted_at = excluded.last_attempted_at,
        sent_at = excluded.sent_at;
      return null;
    end
    $$;
`;

/**
 * The delivery record follows every status change of its email, in the same transaction (the trigger from the
 * initial schema). It did so with INSERT ... ON CONFLICT DO UPDATE plus a lookup of the recipient every time,
 * which made it the single most expensive statement of a send (pg_stat_statements in the bench: ~37 buffers and
 * ~0.19 ms per status change). An update of an existing email now updates its delivery in place; the upsert stays
 * for inserts and for an email whose delivery row is somehow missing. And the trigger fires only when what the
 * delivery shows changes: a claim (scheduled -> queued, both "queued" to the user) no longer rewrites it, which
 * was a third of all delivery writes. Same results, same audit trail.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ${syncDeliveryFromEmail}
    drop trigger email_queues_sync_delivery_update on email_queues;
    create trigger email_queues_sync_delivery_update after update on email_queues
    for each row
    when (
      delivery_status_for(old.status, old.retry_count) is distinct from delivery_status_for(new.status, new.retry_count)
      or old.attempts is distinct from new.attempts
      or old.error_code is distinct from new.error_code
      or old.error_message is distinct from new.error_message
      or old.sent_at is distinct from new.sent_at
      or old.last_attempt_at is distinct from new.last_attempt_at
    )
    execute function sync_delivery_from_email();
  `.execute(db);
}

/** Back to the initial schema's function and trigger: the upsert for every change. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function sync_delivery_from_email() returns trigger language plpgsql as $$
    begin
      insert into deliveries as d (
        email_queue_id, recipient, status, attempts, last_error_code, last_error_message,
        queued_at, last_attempted_at, sent_at
      )
      values (
        new.id,
        (select email from contacts where id = new.contact_id),
        delivery_status_for(new.status, new.retry_count),
        new.attempts, new.error_code, new.error_message,
        new.created_at, new.last_attempt_at, new.sent_at
      )
      on conflict (email_queue_id) do update set
        status = case
          when d.status = 'dead_letter' and excluded.status in ('queued', 'retrying') then d.status
          else excluded.status
        end,
        attempts = excluded.attempts,
        last_error_code = excluded.last_error_code,
        last_error_message = excluded.last_error_message,
        last_attempted_at = excluded.last_attempted_at,
        sent_at = excluded.sent_at;
      return null;
    end
    $$;

    drop trigger email_queues_sync_delivery_update on email_queues;
    create trigger email_queues_sync_delivery_update after update on email_queues
    for each row
    when (
      old.status is distinct from new.status
      or old.retry_count is distinct from new.retry_count
      or old.attempts is distinct from new.attempts
      or old.error_code is distinct from new.error_code
      or old.error_message is distinct from new.error_message
      or old.sent_at is distinct from new.sent_at
      or old.last_attempt_at is distinct from new.last_attempt_at
    )
    execute function sync_delivery_from_email();
  `.execute(db);
}
