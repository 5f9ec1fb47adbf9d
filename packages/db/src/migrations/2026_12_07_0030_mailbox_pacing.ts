import { sql, type Kysely } from 'kysely';

/**
 * Pacing and warm-up per mailbox, both enforced where capacity is: at claim time.
 *
 * - A minimum gap between sends (`min_gap_seconds`) with jitter on top (`gap_jitter_seconds`; both 0: not paced):
 *   after a send is recorded, the mailbox's next claim waits until `mailbox_pacing.next_send_at`, the record's
 *   time plus the gap plus a random share of the jitter. A paced mailbox has at most one email in flight, so the
 *   gap runs from one send's end to the next one's claim and two sends are never closer than it.
 * - A warm-up ramp for a new mailbox: on its local day `warmup_started_on` it may send `warmup_start_capacity`,
 *   and `warmup_daily_increase` more on each day after, up to `daily_capacity`. All three or none.
 *
 * `mailbox_day_capacity` is the one rule for a day's capacity, a plain SQL function the planner inlines.
 *
 * The sender reads the sequence's send window: an email held past its window (by capacity, pacing or a backlog)
 * goes back to wait for the window's next opening instead of going out at night.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table mailboxes
      add column min_gap_seconds integer not null default 0 check (min_gap_seconds between 0 and 86400),
      add column gap_jitter_seconds integer not null default 0 check (gap_jitter_seconds between 0 and 86400),
      add column warmup_start_capacity integer check (warmup_start_capacity >= 0),
      add column warmup_daily_increase integer check (warmup_daily_increase >= 1),
      add column warmup_started_on date,
      add constraint mailboxes_warmup_check check (
        (warmup_start_capacity is null) = (warmup_daily_increase is null)
        and (warmup_daily_increase is null) = (warmup_started_on is null));

    create table mailbox_pacing (
      mailbox_id uuid primary key references mailboxes (id) on delete cascade,
      next_send_at timestamptz not null
    );

    create function mailbox_day_capacity(
      daily_capacity integer, start_capacity integer, daily_increase integer, started_on date, day date
    ) returns integer language sql immutable parallel safe as $$
      select case when started_on is null then daily_capacity
        else least(daily_capacity, start_capacity + daily_increase * greatest(day - started_on, 0)) end
    $$;

    grant select on mailbox_pacing to outflow_producer, outflow_api;
    grant select, insert, update on mailbox_pacing to outflow_sender;
    grant select (id, time_zone, send_days, send_from, send_to) on sequences to outflow_sender;
    alter table mailbox_pacing enable row level security;
    create policy pipeline_all on mailbox_pacing to outflow_producer, outflow_sender using (true) with check (true);
    create policy api_workspace on mailbox_pacing to outflow_api
      using (exists (select 1 from mailboxes p where p.id = mailbox_id));
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    revoke select (id, time_zone, send_days, send_from, send_to) on sequences from outflow_sender;
    drop function mailbox_day_capacity(integer, integer, integer, date, date);
    drop table mailbox_pacing;
    alter table mailboxes drop constraint mailboxes_warmup_check,
      drop column warmup_started_on, drop column warmup_daily_increase, drop column warmup_start_capacity,
      drop column gap_jitter_seconds, drop column min_gap_seconds;
  `.execute(db);
}
