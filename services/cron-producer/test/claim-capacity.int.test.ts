import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { claimDueEmails, createDb, mailboxLocalDay, settleReservation, type Database } from '@outflow/db';
import { createTestDatabase, seedEnrolledEmail, seedMoreEnrolledEmails, type TestDatabase } from '@outflow/db/testing';

/**
 * Many producers claiming the same capacity-bound mailboxes at once, round after round. Every round is a
 * chance for a claim to take a mailbox's lock just after another producer committed its reservation; the
 * reservation must be seen, or the mailbox is over-reserved (a real bug this test caught: the counts were read
 * with the snapshot taken before the lock was granted).
 */
/** Mailboxes of `capacity`, each with `emailsEach` due emails (one per contact and enrollment, as the schema wants). */
async function seedMailboxes(test: TestDatabase, count: number, emailsEach: number, capacity: number) {
  const mailboxIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const seeded = await seedEnrolledEmail(test.db);
    const { mailbox } = seeded;
    await test.db.updateTable('mailboxes').set({ daily_capacity: capacity }).where('id', '=', mailbox.id).execute();
    await seedMoreEnrolledEmails(test.db, seeded, emailsEach - 1, '-1 second');
    mailboxIds.push(mailbox.id);
  }
  return mailboxIds;
}

describe('claimDueEmails under concurrent producers', () => {
  const capacity = 10;
  let test: TestDatabase;
  let wide: Database;

  beforeAll(async () => {
    test = await createTestDatabase();
    wide = createDb({ url: test.url, maxConnections: 10, applicationName: 'outflow-test-claims' });
  });
  afterAll(async () => {
    await wide?.destroy();
    await test?.drop();
  });

  // The race needs a lock granted in the instant after another producer's commit, so one round catches the old
  // bug only about half the time; three rounds of a hundred mailboxes catch it in nearly every run (~2 s each).
  it.each([1, 2, 3])('never over-reserves with ten producers claiming one email at a time (round %i)', async () => {
    const mailboxIds = await seedMailboxes(test, 100, capacity + 2, capacity);
    // A pass that finds every mailbox locked by the others claims nothing, so each producer keeps going for a
    // fixed number of passes (more than enough to fill every mailbox) rather than stopping at its first empty one.
    const claimOneEach = () =>
      claimDueEmails(wide, {
        claimToken: randomUUID(),
        daySeconds: 86_400,
        maxPerMailbox: 1,
        maxQueued: 100_000,
        after: null,
      });
    const producer = async () => {
      for (let pass = 0; pass < 3 * capacity; pass++) await claimOneEach();
    };
    await Promise.all(Array.from({ length: 10 }, producer));
    // Then one producer alone takes whatever capacity the contention left, so every mailbox ends exactly full.
    while ((await claimOneEach()).emails.length);
    const { rows } = await sql<{ mailbox_id: string; reserved: number; claimed: number }>`
      select m.id as mailbox_id,
        coalesce((select sum(reserved_count) from mailbox_daily_counts c where c.mailbox_id = m.id), 0)::int as reserved,
        (select count(*) from email_queues e where e.mailbox_id = m.id and e.status = 'queued')::int as claimed
      from mailboxes m where m.id = any(${mailboxIds}::uuid[])
    `.execute(test.db);
    expect(rows).toHaveLength(mailboxIds.length);
    for (const row of rows) expect(row).toEqual({ mailbox_id: row.mailbox_id, reserved: capacity, claimed: capacity });
  });
});

describe('claimDueEmails backpressure (maxQueued)', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('keeps at most maxQueued emails claimed and unsettled, and claims again as they settle', async () => {
    await seedMailboxes(test, 3, 10, 100);
    const claim = async () =>
      (
        await claimDueEmails(test.db, {
          claimToken: randomUUID(),
          daySeconds: 86_400,
          maxPerMailbox: 500,
          maxQueued: 5,
          after: null,
        })
      ).emails;
    const first = await claim();
    expect(first).toHaveLength(5);
    // Spread over the mailboxes, not five from one of them.
    expect(new Set(first.map((email) => email.mailbox_id)).size).toBe(3);
    expect(await claim()).toHaveLength(0);

    // Two of them are sent: their reservations settle, and exactly two more may be claimed.
    const { rows } = await sql<{ day: string }>`
      select capacity_day::text as day from email_queues where id = ${first[0]!.id}
    `.execute(test.db);
    for (const email of first.slice(0, 2)) {
      await settleReservation(test.db, { mailboxId: email.mailbox_id, day: rows[0]!.day, sent: true });
    }
    expect(await claim()).toHaveLength(2);
    expect(await claim()).toHaveLength(0);
    const { rows: queued } = await sql<{ n: number }>`
      select count(*)::int as n from email_queues where status = 'queued'
    `.execute(test.db);
    expect(queued[0]!.n).toBe(7);
  });
});

describe('claimDueEmails serves only as many mailboxes as the queue has room for', () => {
  let test: TestDatabase;
  beforeEach(async () => {
    test = await createTestDatabase();
  });
  afterEach(async () => {
    await test?.drop();
  });

  const claim = async (options: { maxQueued: number; after: string | null }) =>
    claimDueEmails(test.db, { claimToken: randomUUID(), daySeconds: 86_400, maxPerMailbox: 500, ...options });

  it('takes the mailboxes round-robin in id order from where the previous claim stopped, wrapping', async () => {
    const mailboxIds = (await seedMailboxes(test, 5, 3, 100)).sort();
    const served: string[][] = [];
    let after: string | null = null;
    // Room for two more emails each time: two mailboxes are served, one email each, then the next two.
    for (let round = 0; round < 3; round++) {
      const result = await claim({ maxQueued: 2 * (round + 1), after });
      served.push(result.emails.map((email) => email.mailbox_id).sort());
      after = result.lastMailboxId;
    }
    const [m0, m1, m2, m3, m4] = mailboxIds;
    expect(served).toEqual([[m0, m1], [m2, m3], [m0, m4].sort()]);
    expect(after).toBe(m0);
  });

  it('does not give a place to a mailbox whose capacity for today is used up', async () => {
    const [full, open] = (await seedMailboxes(test, 2, 3, 5)).sort();
    await sql`
      insert into mailbox_daily_counts (mailbox_id, day, sent_count)
      select id, ${mailboxLocalDay(sql.ref('time_zone'), 86_400)}, daily_capacity from mailboxes where id = ${full}
    `.execute(test.db);
    const result = await claim({ maxQueued: 1, after: null });
    expect(result.emails.map((email) => email.mailbox_id)).toEqual([open]);
  });

  it('gives no place to a mailbox whose emails are all scheduled later, or which is paused', async () => {
    const [later, paused, idle, due] = (await seedMailboxes(test, 4, 3, 100)).sort();
    await test.db
      .updateTable('email_queues')
      .set({ scheduled_for: sql`now() + interval '1 day'` })
      .where('mailbox_id', '=', later!)
      .execute();
    await test.db.updateTable('mailboxes').set({ status: 'paused' }).where('id', '=', paused!).execute();
    await test.db.deleteFrom('email_queues').where('mailbox_id', '=', idle!).execute();
    // Room for one email: the mailboxes before `due` in id order must not take it.
    const result = await claim({ maxQueued: 1, after: null });
    expect(result.emails.map((email) => email.mailbox_id)).toEqual([due]);
    expect(result.lastMailboxId).toBe(due);
  });

  it('claims nothing while the queue is full, and keeps its place in the round', async () => {
    const [first] = (await seedMailboxes(test, 2, 3, 100)).sort();
    expect((await claim({ maxQueued: 2, after: null })).emails).toHaveLength(2);
    expect(await claim({ maxQueued: 2, after: first! })).toEqual({ emails: [], lastMailboxId: first });
  });
});
