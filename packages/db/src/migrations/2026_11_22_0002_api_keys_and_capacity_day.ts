import { sql, type Kysely } from 'kysely';

/**
 * - api_keys: bearer keys for the API, stored only as a SHA-256 hash (keys are 256-bit random, so a fast hash
 *   is enough: there is nothing to brute-force).
 * - email_queues.capacity_day: the mailbox-local day whose capacity a claim reserved, so the reservation is
 *   settled on that day's counter even when the send finishes after midnight.
 * - sequences.mailbox_rotation: how many enrollments were assigned so far; the next one gets mailbox
 *   (rotation mod active mailboxes). Updating it also serializes concurrent enrollments into one sequence.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 100),
      key_hash text not null unique,
      -- The first characters of the key, shown in listings so a key can be recognised without storing it.
      key_prefix text not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    );

    alter table email_queues add column capacity_day date;
    alter table email_queues add constraint email_queues_capacity_day_check
      check (status not in ('queued', 'sending') or capacity_day is not null);

    alter table sequences add column mailbox_rotation integer not null default 0;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    alter table sequences drop column mailbox_rotation;
    alter table email_queues drop constraint email_queues_capacity_day_check;
    alter table email_queues drop column capacity_day;
    drop table api_keys;
  `.execute(db);
}
