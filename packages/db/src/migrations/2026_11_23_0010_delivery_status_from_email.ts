import { sql, type Kysely } from 'kysely';

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

// The SQL is written out as this migration ran it: a migration is frozen history, so it never imports another.
// The delivery status of a trigger row is email_delivery_status() spelled out as CASE expressions: a trigger's WHEN
// and the trigger function's insert do not inline SQL functions, so every call would start an executor (see 0007),
// and the first version of this migration, which called the function there, made each audit insert three times
// dearer.
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

/** Rebuilds `deliveries` from the emails (as migration 0007 left it) and points the audit trail back at it. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger email_queues_audit_insert on email_queues;
    drop trigger email_queues_audit_update on email_queues;

    
    create table deliveries (
      id uuid primary key default gen_random_uuid(),
      email_queue_id uuid not null unique references email_queues (id) on delete cascade,
      recipient text not null,
      status delivery_status not null default 'queued',
      attempts integer not null default 0 check (attempts >= 0),
      last_error_code text,
      last_error_message text,
      queued_at timestamptz not null default now(),
      last_attempted_at timestamptz,
      sent_at timestamptz,
      metadata jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index deliveries_status_updated_idx on deliveries (status, updated_at);
    create index deliveries_recipient_updated_idx on deliveries (recipient, updated_at);

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
    
    -- The audit trail: one row on every status change of a delivery, whoever made it.
    create function record_delivery_event() returns trigger language plpgsql as $$
    begin
      insert into delivery_events (delivery_id, from_status, to_status, attempts, error_code, error_message)
      values (
        new.id,
        case when tg_op = 'UPDATE' then old.status end,
        new.status, new.attempts, new.last_error_code, new.last_error_message
      );
      return null;
    end
    $$;

    create trigger deliveries_audit_insert after insert on deliveries
    for each row execute function record_delivery_event();

    create trigger deliveries_audit_update after update of status on deliveries
    for each row when (old.status is distinct from new.status)
    execute function record_delivery_event();


    drop function email_delivery_status(email_status, integer, timestamptz);
    alter table email_queues drop column dead_lettered_at;

    
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


    create trigger email_queues_sync_delivery_insert after insert on email_queues
    for each row execute function sync_delivery_from_email();
    
    create trigger email_queues_sync_delivery_update after update on email_queues
    for each row
    when (
      (case old.status
    when 'scheduled' then (case when old.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end) is distinct from (case new.status
    when 'scheduled' then (case when new.retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
    when 'queued' then 'queued'::delivery_status
    when 'sending' then 'in_progress'::delivery_status
    when 'retry_pending' then 'retrying'::delivery_status
    when 'sent' then 'sent'::delivery_status
    when 'permanent_failure' then 'failed'::delivery_status
    when 'uncertain' then 'uncertain'::delivery_status
    when 'cancelled' then 'cancelled'::delivery_status
  end)
      or old.attempts is distinct from new.attempts
      or old.error_code is distinct from new.error_code
      or old.error_message is distinct from new.error_message
      or old.sent_at is distinct from new.sent_at
      or old.last_attempt_at is distinct from new.last_attempt_at
    )
    execute function sync_delivery_from_email();
  `.execute(db);
}
