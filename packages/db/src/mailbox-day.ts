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
