import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { claimDueEmails, mailboxLocalDay, settleReservation, type ClaimedEmail } from '@outflow/db';
import { createTestDatabase, seedEnrolledEmail, seedMoreEnrolledEmails, type TestDatabase } from '@outflow/db/testing';

/** Warm-up and pacing are enforced where capacity is: in the claim, against the database's clock. */
describe('claimDueEmails with warm-up and pacing', () => {
  let test: TestDatabase;
  beforeEach(async () => {
    test = await createTestDatabase();
  });
  afterEach(async () => {
    await test?.drop();
  });

  const claim = async (mailboxId?: string) =>
    (
      await claimDueEmails(test.db, {
        claimToken: randomUUID(),
        daySeconds: 86_400,
        maxPerMailbox: 500,
        maxQueued: 10_000,
        after: null,
        ...(mailboxId !== undefined && { mailboxId }),
      })
    ).emails;

  async function seedMailbox(dueEmails: number, changes: Record<string, unknown> = {}) {
    const seeded = await seedEnrolledEmail(test.db);
    await seedMoreEnrolledEmails(test.db, seeded, dueEmails - 1, '-1 second');
    await test.db
      .updateTable('mailboxes')
      .set({ daily_capacity: 50, ...changes })
      .where('id', '=', seeded.mailbox.id)
      .execute();
    return seeded.mailbox.id;
  }

  /** The mailbox's local day moved by `days`, as the claim counts it. */
  const localDay = async (days: number) => {
    const { rows } = await sql<{ day: string }>`
      select (${mailboxLocalDay(sql.lit('UTC'), 86_400)} + ${days}::int)::text as day
    `.execute(test.db);
    return rows[0]!.day;
  };

  it.each([
    { started: 0, expected: 2 },
    { started: -2, expected: 8 },
    { started: -30, expected: 20 },
  ])('a mailbox warming up since day $started may claim $expected today', async ({ started, expected }) => {
    // Start at 2, 3 more a day, up to the daily capacity of 50: day 0 → 2, day 2 → 8, day 30 → 50 (20 are due).
    const mailboxId = await seedMailbox(20, {
      warmup_start_capacity: 2,
      warmup_daily_increase: 3,
      warmup_started_on: await localDay(started),
    });
    expect(await claim(mailboxId)).toHaveLength(expected);
    expect(await claim(mailboxId)).toHaveLength(0);
  });

  it('a warm-up starting later than today holds the mailbox at its start capacity', async () => {
    const mailboxId = await seedMailbox(5, {
      warmup_start_capacity: 1,
      warmup_daily_increase: 10,
      warmup_started_on: await localDay(3),
    });
    expect(await claim()).toHaveLength(1);
    expect(await claim(mailboxId)).toHaveLength(0);
  });

  it('a paced mailbox has one email in flight, and waits its gap after each send', async () => {
    const paced = await seedMailbox(4, { min_gap_seconds: 600, gap_jitter_seconds: 60 });
    const unpaced = await seedMailbox(4);
    const first = await claim();
    expect(count(first, paced)).toBe(1);
    expect(count(first, unpaced)).toBe(4);
    // In flight: nothing more, however often the producer asks.
    expect(await claim()).toHaveLength(0);

    // Released (nothing went out): the next email may go at once.
    await settle(
      first.find((email) => email.mailbox_id === paced)!,
      false,
    );
    const second = await claim();
    expect(second.map((email) => email.mailbox_id)).toEqual([paced]);

    // Sent: the gap starts, between 600 and 660 s from the record.
    await settle(second[0]!, true);
    const { rows } = await sql<{ wait: number }>`
      select extract(epoch from next_send_at - now())::float8 as wait from mailbox_pacing where mailbox_id = ${paced}
    `.execute(test.db);
    expect(rows[0]!.wait).toBeGreaterThan(599);
    expect(rows[0]!.wait).toBeLessThanOrEqual(660);
    expect(await claim()).toHaveLength(0);

    // When the gap has passed, one more.
    await sql`update mailbox_pacing set next_send_at = now() - interval '1 second'`.execute(test.db);
    expect((await claim()).map((email) => email.mailbox_id)).toEqual([paced]);
  });

  it('an unpaced mailbox writes no pacing when its sends are recorded', async () => {
    const unpaced = await seedMailbox(2);
    for (const email of await claim(unpaced)) await settle(email, true);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from mailbox_pacing`.execute(test.db);
    expect(rows[0]!.n).toBe(0);
  });

  const count = (emails: ClaimedEmail[], mailboxId: string) =>
    emails.filter((email) => email.mailbox_id === mailboxId).length;

  async function settle(email: ClaimedEmail, sent: boolean) {
    const { rows } = await sql<{ day: string }>`
      select capacity_day::text as day from email_queues where id = ${email.id}
    `.execute(test.db);
    await test.db
      .updateTable('email_queues')
      .set({ status: sent ? 'sent' : 'scheduled', sent_at: sent ? new Date() : null })
      .where('id', '=', email.id)
      .execute();
    await settleReservation(test.db, { mailboxId: email.mailbox_id, day: rows[0]!.day, sent });
  }
});
