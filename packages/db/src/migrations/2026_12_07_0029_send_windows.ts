import { sql, type Kysely } from 'kysely';

/**
 * Send windows in the recipient's time zone. A contact may have an IANA time zone, else its sequence's
 * (`sequences.time_zone`, default UTC). A sequence may have a send window (ISO days of the week, from-to local
 * time; none by default: any time, as before) and count its waits in calendar or business days.
 *
 * Both rules are SQL functions, so every statement that schedules an email (enrollment, follow-up, retry) applies
 * them in the database, in PostgreSQL's time zone rules: a day is the local calendar day (23 or 25 hours across a
 * DST change), and a window's local times are converted on the day they fall on. A local time a DST change skips
 * (02:30 on a spring-forward night) is read as PostgreSQL reads it, after the gap.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table contacts add column time_zone text check (length(time_zone) between 1 and 64);
    alter table sequences
      add column time_zone text not null default 'UTC' check (length(time_zone) between 1 and 64),
      add column send_days smallint[] check (send_days <@ '{1,2,3,4,5,6,7}' and cardinality(send_days) >= 1),
      add column send_from time,
      add column send_to time,
      add column wait_unit text not null default 'calendar' check (wait_unit in ('calendar', 'business')),
      add constraint sequences_send_window_check check (
        (send_days is null) = (send_from is null) and (send_from is null) = (send_to is null)
        and (send_from is null or send_from < send_to));

    -- When an email due at due may go: due itself inside the window, else the window's next opening, in tz.
    create function send_window_opening(due timestamptz, tz text, days smallint[], opens time, closes time)
    returns timestamptz language plpgsql stable parallel safe as $$
    declare
      local_day date := (due at time zone tz)::date;
      day date;
      opening timestamptz;
    begin
      if days is null then return due; end if;
      for i in 0..7 loop
        day := local_day + i;
        if extract(isodow from day)::smallint = any(days) then
          opening := (day + opens) at time zone tz;
          if due < (day + closes) at time zone tz then return greatest(due, opening); end if;
        end if;
      end loop;
      return due;
    end $$;

    -- When a wait of wait_days after sent ends: the same local time that many calendar days (or weekdays) later
    -- in tz. A day shorter than 86 400 s (OUTFLOW_DAY_SECONDS, for demos and tests) counts plain seconds.
    create function wait_ends(sent timestamptz, wait_days integer, day_seconds integer, business boolean, tz text)
    returns timestamptz language plpgsql stable parallel safe as $$
    declare
      local timestamp;
      remaining integer := wait_days;
    begin
      if day_seconds <> 86400 then return sent + make_interval(secs => wait_days * day_seconds); end if;
      local := sent at time zone tz;
      if not business then return (local + make_interval(days => wait_days)) at time zone tz; end if;
      while remaining > 0 loop
        local := local + interval '1 day';
        if extract(isodow from local) < 6 then remaining := remaining - 1; end if;
      end loop;
      return local at time zone tz;
    end $$;

    -- The scheduler and the retry consumer read what the functions need (the API reads and writes it all).
    grant select (id, time_zone) on contacts to outflow_scheduler, outflow_retry;
    grant select (id, time_zone, send_days, send_from, send_to, wait_unit) on sequences
      to outflow_scheduler, outflow_retry;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    revoke select (id, time_zone) on contacts from outflow_scheduler, outflow_retry;
    revoke select (id, time_zone, send_days, send_from, send_to, wait_unit) on sequences
      from outflow_scheduler, outflow_retry;
    drop function wait_ends(timestamptz, integer, integer, boolean, text);
    drop function send_window_opening(timestamptz, text, smallint[], time, time);
    alter table sequences drop constraint sequences_send_window_check,
      drop column wait_unit, drop column send_to, drop column send_from, drop column send_days, drop column time_zone;
    alter table contacts drop column time_zone;
  `.execute(db);
}
