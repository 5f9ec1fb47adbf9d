import { sql, type RawBuilder } from 'kysely';

/**
 * Statement pieces for migration 0029's send-window rules, over a sequence aliased `s` and a contact aliased `c`
 * (the statement joins both): every place that schedules or checks an email reads them the same way.
 */

/** The recipient's time zone: the contact's, else its sequence's. */
const recipientZone: RawBuilder<string> = sql<string>`coalesce(c.time_zone, s.time_zone)`;

/** When an email due at `due` may go: `due` inside the sequence's send window, else the window's next opening. */
export function windowOpening(due: RawBuilder<Date>, zone: RawBuilder<string> = recipientZone): RawBuilder<Date> {
  return sql<Date>`send_window_opening(${due}, ${zone}, s.send_days, s.send_from, s.send_to)`;
}

/** When a wait of `waitDays` after `after` ends, in the sequence's unit (calendar or business days). */
export function waitEnd(
  after: RawBuilder<Date>,
  waitDays: number,
  daySeconds: number,
  zone: RawBuilder<string> = recipientZone,
): RawBuilder<Date> {
  return sql<Date>`wait_ends(${after}, ${waitDays}::int, ${daySeconds}::int, s.wait_unit = 'business', ${zone})`;
}
