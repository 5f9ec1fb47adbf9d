import { sql, type Kysely } from 'kysely';

/**
 * The product schema. Frozen once merged: change the schema with a new migration, never by editing this one.
 *
 * State machines:
 * - email_queues.status (the scheduler's view of one step for one contact):
 *   scheduled -> queued (claimed by the producer and published, claim_token set) -> sending (the sender holds a
 *   lease) -> sent | retry_pending (a temporary failure awaiting the retry consumer, which moves it back to
 *   scheduled) | permanent_failure | uncertain (the sender died between handing the mail to SMTP and recording the
 *   outcome; never resent automatically). cancelled when an enrollment is stopped before the send.
 * - deliveries.status (the per-email delivery record shown to users) is derived from email_queues by a trigger,
 *   and every change of it is written to delivery_events by another trigger, so no code path can skip the audit.
 */

/** The deliveries table as this migration creates it (migration 0010's down builds it again). */
const deliveriesTable = sql`
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
`;

/** The deliveries audit trail's function and triggers as this migration creates them (0010's down creates them again). */
const deliveriesAudit = sql`
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
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create type mailbox_status as enum ('active', 'paused', 'disabled');
    create type sequence_status as enum ('active', 'paused', 'archived');
    create type contact_status as enum ('active', 'bounced', 'unsubscribed');
    create type enrollment_status as enum ('active', 'completed', 'bounced', 'unsubscribed', 'cancelled');
    create type content_format as enum ('text', 'html', 'mjml');
    create type email_status as enum (
      'scheduled', 'queued', 'sending', 'retry_pending', 'sent', 'permanent_failure', 'uncertain', 'cancelled'
    );
    create type delivery_status as enum (
      'queued', 'in_progress', 'sent', 'retrying', 'failed', 'dead_letter', 'uncertain', 'cancelled'
    );
    create type kafka_batch_status as enum ('claimed', 'published', 'failed');
    create type email_event_type as enum (
      'scheduled', 'queued', 'sending', 'sent', 'retry_scheduled', 'failed', 'permanent_failure', 'uncertain',
      'cancelled', 'dead_lettered', 'opened', 'clicked', 'bounced', 'replied', 'unsubscribed'
    );

    create function set_updated_at() returns trigger language plpgsql as $$
    begin
      new.updated_at := now();
      return new;
    end
    $$;

    -- Declared immutable so a CHECK constraint can use it: the set of zone names only grows between releases.
    create function is_valid_time_zone(zone text) returns boolean language plpgsql immutable as $$
    begin
      perform now() at time zone zone;
      return true;
    exception when invalid_parameter_value then
      return false;
    end
    $$;

    create table mailboxes (
      id uuid primary key default gen_random_uuid(),
      email text not null check (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
      display_name text,
      smtp_host text not null check (length(smtp_host) between 1 and 253),
      smtp_port integer not null check (smtp_port between 1 and 65535),
      smtp_secure boolean not null default false,
      smtp_username text,
      -- AES-256-GCM ciphertext (base64 of iv | tag | data) and the id of the key that made it, so keys can rotate.
      encrypted_smtp_password text,
      smtp_password_key_id text,
      daily_capacity integer not null default 30 check (daily_capacity >= 0),
      status mailbox_status not null default 'active',
      time_zone text not null default 'UTC' check (is_valid_time_zone(time_zone)),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((encrypted_smtp_password is null) = (smtp_password_key_id is null))
    );
    create unique index mailboxes_email_key on mailboxes (lower(email));

    create table sequences (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 200),
      status sequence_status not null default 'active',
      open_tracking_enabled boolean not null default false,
      click_tracking_enabled boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table steps (
      id uuid primary key default gen_random_uuid(),
      sequence_id uuid not null references sequences (id) on delete cascade,
      step_order integer not null check (step_order >= 1),
      subject text not null,
      content text not null,
      content_format content_format not null default 'text',
      -- Step 1: delay after enrollment; step n+1: delay after step n was sent.
      wait_days integer not null check (wait_days >= 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (sequence_id, step_order)
    );

    create table sequence_mailboxes (
      sequence_id uuid not null references sequences (id) on delete cascade,
      mailbox_id uuid not null references mailboxes (id) on delete restrict,
      position integer not null default 0,
      created_at timestamptz not null default now(),
      primary key (sequence_id, mailbox_id)
    );
    create index sequence_mailboxes_mailbox_idx on sequence_mailboxes (mailbox_id);

    create table contacts (
      id uuid primary key default gen_random_uuid(),
      email text not null check (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
      first_name text,
      last_name text,
      company text,
      fields jsonb not null default '{}' check (jsonb_typeof(fields) = 'object'),
      status contact_status not null default 'active',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index contacts_email_key on contacts (lower(email));

    create table sequence_contacts (
      id uuid primary key default gen_random_uuid(),
      sequence_id uuid not null references sequences (id) on delete cascade,
      contact_id uuid not null references contacts (id) on delete cascade,
      -- Assigned at enrollment; every step of this enrollment goes out from this mailbox.
      mailbox_id uuid not null references mailboxes (id) on delete restrict,
      status enrollment_status not null default 'active',
      current_step integer not null default 0 check (current_step >= 0),
      enrolled_at timestamptz not null default now(),
      completed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (sequence_id, contact_id)
    );
    create index sequence_contacts_sequence_status_idx on sequence_contacts (sequence_id, status);
    create index sequence_contacts_contact_idx on sequence_contacts (contact_id);
    create index sequence_contacts_mailbox_idx on sequence_contacts (mailbox_id);

    create table email_queues (
      id uuid primary key default gen_random_uuid(),
      sequence_contact_id uuid not null references sequence_contacts (id) on delete cascade,
      sequence_id uuid not null references sequences (id) on delete cascade,
      step_id uuid not null references steps (id) on delete cascade,
      step_order integer not null check (step_order >= 1),
      contact_id uuid not null references contacts (id) on delete cascade,
      mailbox_id uuid not null references mailboxes (id) on delete restrict,
      status email_status not null default 'scheduled',
      scheduled_for timestamptz not null,
      retry_count integer not null default 0 check (retry_count >= 0),
      max_retries integer not null default 3 check (max_retries >= 0),
      -- Hand-overs to SMTP; differs from retry_count when a send ended uncertain or was resent by an operator.
      attempts integer not null default 0 check (attempts >= 0),
      -- Set by the producer's claim; the sender acts only on a message carrying the current token.
      claim_token uuid,
      claimed_at timestamptz,
      -- The sender's lease while sending; an expired lease means the outcome is unknown (uncertain).
      lease_expires_at timestamptz,
      last_attempt_at timestamptz,
      sent_at timestamptz,
      smtp_message_id text,
      -- SMTP reply code (e.g. 451) or a transport code (e.g. ETIMEDOUT), and the server's text.
      error_code text,
      error_message text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- One row per step per enrollment: a follow-up can never be scheduled twice.
      unique (sequence_contact_id, step_order),
      check (status <> 'queued' or (claim_token is not null and claimed_at is not null)),
      check (status <> 'sending' or (claim_token is not null and lease_expires_at is not null)),
      check (status <> 'sent' or sent_at is not null)
    );
    -- The producer's claim: due rows per mailbox, in due order. Partial, so its size follows the backlog,
    -- not the history.
    create index email_queues_due_idx on email_queues (mailbox_id, scheduled_for) where status = 'scheduled';
    create index email_queues_claimed_idx on email_queues (claimed_at) where status = 'queued';
    create index email_queues_lease_idx on email_queues (lease_expires_at) where status = 'sending';
    create index email_queues_status_updated_idx on email_queues (status, updated_at);
    create index email_queues_sequence_status_idx on email_queues (sequence_id, status);
    create index email_queues_contact_idx on email_queues (contact_id);
    create index email_queues_step_idx on email_queues (step_id);

    create table mailbox_daily_counts (
      mailbox_id uuid not null references mailboxes (id) on delete cascade,
      -- The mailbox's local calendar day (its time_zone), computed from the database clock.
      day date not null,
      sent_count integer not null default 0 check (sent_count >= 0),
      reserved_count integer not null default 0 check (reserved_count >= 0),
      updated_at timestamptz not null default now(),
      primary key (mailbox_id, day)
    );

    create table email_events (
      id uuid primary key default gen_random_uuid(),
      email_queue_id uuid references email_queues (id) on delete set null,
      sequence_id uuid references sequences (id) on delete set null,
      contact_id uuid references contacts (id) on delete set null,
      mailbox_id uuid references mailboxes (id) on delete set null,
      type email_event_type not null,
      occurred_at timestamptz not null default now(),
      -- Idempotency: a redelivered event with the same key is recorded once.
      event_key text unique,
      metadata jsonb not null default '{}',
      created_at timestamptz not null default now()
    );
    create index email_events_email_idx on email_events (email_queue_id, occurred_at);
    create index email_events_type_idx on email_events (type, occurred_at);
    create index email_events_sequence_idx on email_events (sequence_id, occurred_at);

    create table kafka_batches (
      id uuid primary key default gen_random_uuid(),
      topic text not null,
      claim_token uuid not null,
      message_count integer not null check (message_count > 0),
      email_ids uuid[] not null,
      status kafka_batch_status not null default 'claimed',
      producer_id text,
      published_at timestamptz,
      error_message text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index kafka_batches_status_created_idx on kafka_batches (status, created_at);

    ${deliveriesTable}

    create table delivery_events (
      id uuid primary key default gen_random_uuid(),
      delivery_id uuid not null references deliveries (id) on delete cascade,
      from_status delivery_status,
      to_status delivery_status not null,
      attempts integer not null,
      error_code text,
      error_message text,
      -- clock_timestamp, not now(): several changes in one transaction keep their order.
      occurred_at timestamptz not null default clock_timestamp(),
      metadata jsonb not null default '{}'
    );
    create index delivery_events_delivery_idx on delivery_events (delivery_id, occurred_at);
  `.execute(db);

  for (const table of [
    'mailboxes',
    'sequences',
    'steps',
    'contacts',
    'sequence_contacts',
    'email_queues',
    'mailbox_daily_counts',
    'kafka_batches',
    'deliveries',
  ]) {
    await sql`
      create trigger ${sql.raw(`${table}_set_updated_at`)} before update on ${sql.table(table)}
      for each row execute function set_updated_at()
    `.execute(db);
  }

  await sql`
    create function delivery_status_for(status email_status, retry_count integer) returns delivery_status
    language sql immutable as $$
      select case status
        when 'scheduled' then (case when retry_count > 0 then 'retrying' else 'queued' end)::delivery_status
        when 'queued' then 'queued'::delivery_status
        when 'sending' then 'in_progress'::delivery_status
        when 'retry_pending' then 'retrying'::delivery_status
        when 'sent' then 'sent'::delivery_status
        when 'permanent_failure' then 'failed'::delivery_status
        when 'uncertain' then 'uncertain'::delivery_status
        when 'cancelled' then 'cancelled'::delivery_status
      end
    $$;

    -- Keeps the delivery record in step with the email row it describes, in the same transaction.
    create function sync_delivery_from_email() returns trigger language plpgsql as $$
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
        -- dead_letter is set on the delivery directly; a later email change that is not terminal keeps it.
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
      old.status is distinct from new.status
      or old.retry_count is distinct from new.retry_count
      or old.attempts is distinct from new.attempts
      or old.error_code is distinct from new.error_code
      or old.error_message is distinct from new.error_message
      or old.sent_at is distinct from new.sent_at
      or old.last_attempt_at is distinct from new.last_attempt_at
    )
    execute function sync_delivery_from_email();

    ${deliveriesAudit}
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table if exists delivery_events, deliveries, kafka_batches, email_events, mailbox_daily_counts,
      email_queues, sequence_contacts, contacts, sequence_mailboxes, steps, sequences, mailboxes cascade;
    drop function if exists record_delivery_event(), sync_delivery_from_email(),
      delivery_status_for(email_status, integer), is_valid_time_zone(text), set_updated_at();
    drop type if exists email_event_type, kafka_batch_status, delivery_status, email_status, content_format,
      enrollment_status, contact_status, sequence_status, mailbox_status;
  `.execute(db);
}
