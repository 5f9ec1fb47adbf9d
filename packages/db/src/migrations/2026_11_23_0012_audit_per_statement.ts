import { sql, type Kysely } from 'kysely';

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

// The SQL is written out as this migration ran it: a migration is frozen history, so it never imports another
// (the status expressions of migration 0007 appear spelled out, as a trigger's WHEN does not inline functions).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger email_queues_audit_insert on email_queues;
    drop trigger email_queues_audit_update on email_queues;
    drop function record_delivery_event();

    create function record_delivery_events_inserted() returns trigger language plpgsql as $$
    begin
      insert into delivery_events (email_queue_id, from_status, to_status, attempts, error_code, error_message)
      select n.id, null, (case
    when n.dead_lettered_at is not null and (case n.status
    when 'scheduled' then (case when n.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end) in ('queued', 'retrying')
      then 'dead_letter'::delivery_status
    else (case n.status
    when 'scheduled' then (case when n.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end)
  end), n.attempts, n.error_code, n.error_message
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
      select n.id, (case
    when o.dead_lettered_at is not null and (case o.status
    when 'scheduled' then (case when o.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end) in ('queued', 'retrying')
      then 'dead_letter'::delivery_status
    else (case o.status
    when 'scheduled' then (case when o.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end)
  end), (case
    when n.dead_lettered_at is not null and (case n.status
    when 'scheduled' then (case when n.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end) in ('queued', 'retrying')
      then 'dead_letter'::delivery_status
    else (case n.status
    when 'scheduled' then (case when n.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end)
  end), n.attempts, n.error_code,
        n.error_message
      from updated_emails n join previous_emails o on o.id = n.id
      where (case
    when o.dead_lettered_at is not null and (case o.status
    when 'scheduled' then (case when o.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end) in ('queued', 'retrying')
      then 'dead_letter'::delivery_status
    else (case o.status
    when 'scheduled' then (case when o.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end)
  end) is distinct from (case
    when n.dead_lettered_at is not null and (case n.status
    when 'scheduled' then (case when n.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end) in ('queued', 'retrying')
      then 'dead_letter'::delivery_status
    else (case n.status
    when 'scheduled' then (case when n.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end)
  end);
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
    
    create or replace function record_delivery_event() returns trigger language plpgsql as $$
    begin
      insert into delivery_events (email_queue_id, from_status, to_status, attempts, error_code, error_message)
      values (
        new.id,
        case when tg_op = 'UPDATE' then (case
    when old.dead_lettered_at is not null and (case old.status
    when 'scheduled' then (case when old.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end) in ('queued', 'retrying')
      then 'dead_letter'::delivery_status
    else (case old.status
    when 'scheduled' then (case when old.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end)
  end) end,
        (case
    when new.dead_lettered_at is not null and (case new.status
    when 'scheduled' then (case when new.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end) in ('queued', 'retrying')
      then 'dead_letter'::delivery_status
    else (case new.status
    when 'scheduled' then (case when new.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end)
  end),
        new.attempts, new.error_code, new.error_message
      );
      return null;
    end
    $$;

    create trigger email_queues_audit_insert after insert on email_queues
    for each row execute function record_delivery_event();

    create trigger email_queues_audit_update after update on email_queues
    for each row
    when ((case
    when old.dead_lettered_at is not null and (case old.status
    when 'scheduled' then (case when old.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end) in ('queued', 'retrying')
      then 'dead_letter'::delivery_status
    else (case old.status
    when 'scheduled' then (case when old.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end)
  end) is distinct from (case
    when new.dead_lettered_at is not null and (case new.status
    when 'scheduled' then (case when new.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end) in ('queued', 'retrying')
      then 'dead_letter'::delivery_status
    else (case new.status
    when 'scheduled' then (case when new.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end)
  end))
    execute function record_delivery_event();
  `.execute(db);
}
