import { sql, type RawBuilder } from 'kysely';

const zoneOf = (timeZone: RawBuilder<string> | string) => (typeof timeZone === 'string' ? sql.ref(timeZone) : timeZone);

/**
 * The index of a mailbox's current local day, from the database clock (never the service's, which may be off):
 * whole days of `daySeconds` (OUTFLOW_DAY_SECONDS, 86 400 in production) of its local time since 1970-01-01.
 */
export function mailboxDayIndex(timeZone: RawBuilder<string> | string, daySeconds: number): RawBuilder<number> {
  return sql<number>`floor(extract(epoch from (now() at time zone ${zoneOf(timeZone)})) / ${sql.lit(daySeconds)})::int`;
}

/** The date of local day `index`, as mailbox_daily_counts keys it (in production, the local calendar date). */
export function dayOfIndex(index: RawBuilder<number>): RawBuilder<string> {
  return sql<string>`(date '1970-01-01' + (${index}))`;
}

/**
 * When local day `index` starts, as a local time (`at time zone` the mailbox's zone gives the moment); a day ends
 * when the next one starts.
 */
export function localDayStart(index: RawBuilder<number>, daySeconds: number): RawBuilder<Date> {
  return sql<Date>`(timestamp 'epoch' + (${index}) * ${sql.lit(daySeconds)} * interval '1 second')`;
}

/**
 * A mailbox's current local day, as a date. Days are `daySeconds` long: in production this is exactly the local
 * calendar date; demos and tests shrink days to seconds and the date then counts scaled days since 1970-01-01.
 */
export function mailboxLocalDay(timeZone: RawBuilder<string> | string, daySeconds: number): RawBuilder<string> {
  return dayOfIndex(mailboxDayIndex(timeZone, daySeconds));
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
