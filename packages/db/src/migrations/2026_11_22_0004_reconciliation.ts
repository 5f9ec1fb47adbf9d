import { sql, type Kysely } from 'kysely';

/**
 * What the follow-up scheduler and the retry consumer need to rebuild work from database state when the Kafka
 * event that should have carried it is gone (a lost broker, a topic truncated by retention):
 * - email_queues.followup_handled_at: set when the follow-up of a sent email was handled (next step scheduled,
 *   enrollment completed, or nothing to do). A sent email without it, past a grace period, lost its event.
 *   Rows sent before this migration count as handled.
 * - email_queues.failure_kind: whether the last failed send was temporary or permanent, so a retry decision
 *   can be taken without the email-retries event.
 * - email_queues.republish_count: how often the producer published a claim again because it stayed queued.
 *   Each republish waits twice as long as the previous one: a backlog that simply takes a while to consume
 *   must not be flooded with copies of itself.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table email_queues
      add column followup_handled_at timestamptz,
      add column failure_kind text check (failure_kind in ('temporary', 'permanent')),
      add column republish_count integer not null default 0 check (republish_count >= 0);
    update email_queues set followup_handled_at = sent_at where status = 'sent';
    create index email_queues_followup_unhandled_idx on email_queues (sent_at)
      where status = 'sent' and followup_handled_at is null;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop index email_queues_followup_unhandled_idx;
    alter table email_queues drop column followup_handled_at, drop column failure_kind, drop column republish_count;
  `.execute(db);
}
