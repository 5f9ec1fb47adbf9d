import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

/**
 * The scheduling rules of send windows, in PostgreSQL's time zone rules: a window's local times on the day they
 * fall on, and waits in local calendar days or weekdays, across the DST changes of several zones (and zones
 * without DST, or with half-hour offsets).
 */
describe('send windows and waits in the recipient time zone', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  const everyDay = [1, 2, 3, 4, 5, 6, 7];
  const weekdays = [1, 2, 3, 4, 5];

  /** When an email due at `due` goes, in UTC and on the recipient's clock. */
  async function opening(due: string, tz: string, days: number[] | null, from = '09:00', to = '17:00') {
    const { rows } = await sql<{ utc: string; local: string }>`
      with o as (select send_window_opening(${due}::timestamptz, ${tz}, ${days}::smallint[], ${from}::time, ${to}::time) as at)
      select to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as utc,
        to_char(at at time zone ${tz}, 'Dy YYYY-MM-DD HH24:MI') as local from o
    `.execute(test.db);
    return rows[0]!;
  }

  async function waitEnds(sent: string, days: number, tz: string, business = false, daySeconds = 86_400) {
    const { rows } = await sql<{ utc: string; local: string }>`
      with w as (select wait_ends(${sent}::timestamptz, ${days}, ${daySeconds}, ${business}, ${tz}) as at)
      select to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as utc,
        to_char(at at time zone ${tz}, 'Dy YYYY-MM-DD HH24:MI') as local from w
    `.execute(test.db);
    return rows[0]!;
  }

  it('sends what is due at 03:00 local when the window opens, on either side of a spring-forward night', async () => {
    // New York, before and after 2026-03-08 02:00 EST became 03:00 EDT: 09:00 local is 14:00, then 13:00 UTC.
    expect(await opening('2026-03-07 08:00Z', 'America/New_York', everyDay)).toEqual({
      utc: '2026-03-07 14:00',
      local: 'Sat 2026-03-07 09:00',
    });
    expect(await opening('2026-03-08 07:00Z', 'America/New_York', everyDay)).toEqual({
      utc: '2026-03-08 13:00',
      local: 'Sun 2026-03-08 09:00',
    });
    // Berlin springs forward on 2026-03-29: 09:00 local is 08:00 UTC the day before, 07:00 UTC on the day.
    expect(await opening('2026-03-28 02:00Z', 'Europe/Berlin', everyDay)).toMatchObject({ utc: '2026-03-28 08:00' });
    expect(await opening('2026-03-29 01:00Z', 'Europe/Berlin', everyDay)).toMatchObject({ utc: '2026-03-29 07:00' });
  });

  it('keeps the local opening across a fall-back night', async () => {
    // Berlin falls back on 2026-10-25 (03:00 CEST became 02:00 CET): 08:00 local is 06:00, then 07:00 UTC.
    expect(await opening('2026-10-24 03:00Z', 'Europe/Berlin', everyDay, '08:00', '18:00')).toMatchObject({
      utc: '2026-10-24 06:00',
    });
    expect(await opening('2026-10-24 20:00Z', 'Europe/Berlin', everyDay, '08:00', '18:00')).toEqual({
      utc: '2026-10-25 07:00',
      local: 'Sun 2026-10-25 08:00',
    });
    // Adelaide (UTC+09:30, +10:30 from 2026-10-04): the southern spring.
    expect(await opening('2026-10-03 20:00Z', 'Australia/Adelaide', everyDay)).toEqual({
      utc: '2026-10-03 22:30',
      local: 'Sun 2026-10-04 09:00',
    });
  });

  it('works in zones without DST and with half-hour offsets', async () => {
    expect(await opening('2026-07-01 00:00Z', 'Asia/Kolkata', everyDay)).toEqual({
      utc: '2026-07-01 03:30',
      local: 'Wed 2026-07-01 09:00',
    });
    expect(await opening('2026-07-01 00:00Z', 'Asia/Tokyo', everyDay)).toMatchObject({ utc: '2026-07-01 00:00' });
    // St. John's, Newfoundland: UTC-02:30 in summer.
    expect(await opening('2026-07-01 10:00Z', 'America/St_Johns', everyDay)).toEqual({
      utc: '2026-07-01 11:30',
      local: 'Wed 2026-07-01 09:00',
    });
  });

  it('leaves what is due inside the window, and moves what is due after it to the next allowed day', async () => {
    expect(await opening('2026-12-07 10:00Z', 'UTC', weekdays)).toMatchObject({ utc: '2026-12-07 10:00' });
    // Friday after closing, weekdays only: Monday's opening.
    expect(await opening('2026-12-04 18:00Z', 'UTC', weekdays)).toEqual({
      utc: '2026-12-07 09:00',
      local: 'Mon 2026-12-07 09:00',
    });
    // No window: any time.
    expect(await opening('2026-12-06 03:00Z', 'America/New_York', null)).toMatchObject({ utc: '2026-12-06 03:00' });
  });

  it('counts a calendar day as the next local day at the same time: 23 or 25 hours across a DST change', async () => {
    expect(await waitEnds('2026-03-07 15:00Z', 1, 'America/New_York')).toEqual({
      utc: '2026-03-08 14:00:00',
      local: 'Sun 2026-03-08 10:00',
    });
    expect(await waitEnds('2026-10-24 08:00Z', 1, 'Europe/Berlin')).toEqual({
      utc: '2026-10-25 09:00:00',
      local: 'Sun 2026-10-25 10:00',
    });
  });

  it('counts business days over weekends, and plain seconds with a shortened day', async () => {
    expect(await waitEnds('2026-12-04 15:00Z', 1, 'UTC', true)).toMatchObject({ local: 'Mon 2026-12-07 15:00' });
    expect(await waitEnds('2026-12-03 15:00Z', 3, 'UTC', true)).toMatchObject({ local: 'Tue 2026-12-08 15:00' });
    expect(await waitEnds('2026-12-04 15:00Z', 2, 'UTC', false)).toMatchObject({ local: 'Sun 2026-12-06 15:00' });
    expect(await waitEnds('2026-12-04 15:00Z', 2, 'UTC', true, 5)).toMatchObject({ utc: '2026-12-04 15:00:10' });
  });
});
