import { sql, type RawBuilder } from 'kysely';

/**
 * A mailbox's current local day, from the database clock (never the service's, which may be off), as a date.
 * Days are `daySeconds` long (OUTFLOW_DAY_SECONDS, 86 400 in production, where this is exactly the local
 * calendar date; demos and tests shrink days to seconds and the date then counts scaled days since 1970-01-01).
 */
export function mailboxLocalDay(timeZone: RawBuilder<string> | string, daySeconds: number): RawBuilder<string> {
  const zone = typeof timeZone === 'string' ? sql.ref(timeZone) : timeZone;
  return sql<string>`(date '1970-01-01' + floor(extract(epoch from (now() at time zone ${zone})) / ${sql.lit(daySeconds)})::int)`;
}

/**
 * What the mailbox (the row `mailbox` names) may send on `day`: its daily capacity, or less while it warms up
 * (migration 0030's mailbox_day_capacity, the one rule the claim, the API and the forecast share).
 */
export function mailboxDayCapacity(mailbox: string, day: RawBuilder<string>): RawBuilder<number> {
  const column = (name: string) => sql.ref(`${mailbox}.${name}`);
  return sql<number>`mailbox_day_capacity(${column('daily_capacity')}, ${column('warmup_start_capacity')},
    ${column('warmup_daily_increase')}, ${column('warmup_started_on')}, ${day}::date)`;
}
