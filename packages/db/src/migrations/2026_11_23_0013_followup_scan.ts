import { sql, type Kysely } from 'kysely';

/**
 * The follow-up scheduler no longer marks each sent email as handled; lost follow-up events are found by scanning
 * the `sent` email events in time order instead.
 *
 * `email_queues.followup_handled_at` was written once per email after its follow-up was scheduled. The column is in
 * a partial index's predicate, so that write could never be a HOT update: it was a fourth full rewrite of the
 * email's row, with an entry in each of its indexes, for every email sent. The same fact is already in the
 * database: the follow-up of a sent email was handled when its enrollment is no longer active (completed after the
 * last step, or stopped) or has a later step queued.
 *
 * To find the sent emails without that, the reconciler reads the `sent` events (written in the transaction that
 * marks the email sent, and indexed by type and time) window by window, and remembers in
 * `followup_scan_progress.scanned_to` how far it has checked. Emails sent before this migration whose follow-up was
 * not handled yet are still found: the scan starts just before the oldest of them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table followup_scan_progress (
      -- One row: how far (by sent time) every sent email's follow-up was checked.
      singleton boolean primary key default true check (singleton),
      scanned_to timestamptz not null,
      updated_at timestamptz not null default now()
    );
    -- Whole milliseconds, so the value survives a round trip through a JavaScript Date.
    insert into followup_scan_progress (scanned_to)
    select date_trunc('milliseconds', coalesce(min(sent_at), now())) - interval '1 millisecond'
    from email_queues where status = 'sent' and followup_handled_at is null;
    drop index email_queues_followup_unhandled_idx;
    alter table email_queues drop column followup_handled_at;
  `.execute(db);
}

/**
 * Back to marking: every email sent up to the scan's progress counts as handled. Later ones stay unmarked, and the
 * marking reconciler checks them again (idempotently).
 */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    alter table email_queues add column followup_handled_at timestamptz;
    update email_queues set followup_handled_at = sent_at
    where status = 'sent' and sent_at <= (select scanned_to from followup_scan_progress);
    create index email_queues_followup_unhandled_idx on email_queues (sent_at)
      where status = 'sent' and followup_handled_at is null;
    drop table followup_scan_progress;
  `.execute(db);
}
