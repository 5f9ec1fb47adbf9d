import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createTestDatabase, seedEnrolledEmail, type TestDatabase } from '@outflow/db/testing';
import {
  deferToSendWindow,
  findSendContexts,
  markDeadLettered,
  recordSentMany,
  startSendingMany,
  type SentEmail,
} from '../src/sending/send.repository.js';

/** A seeded email claimed as the producer claims it: queued under a token, one reservation on today's count. */
async function seedClaimedEmail(test: TestDatabase) {
  const seeded = await seedEnrolledEmail(test.db);
  const claimToken = randomUUID();
  await sql`
    update email_queues set status = 'queued', claim_token = ${claimToken}, claimed_at = now(),
      capacity_day = current_date
    where id = ${seeded.email.id}
  `.execute(test.db);
  await sql`
    insert into mailbox_daily_counts (mailbox_id, day, reserved_count) values (${seeded.mailbox.id}, current_date, 1)
  `.execute(test.db);
  return { ...seeded, claimToken };
}

const sentEmail = (emailId: string, claimToken: string, sequenceContactId: string): SentEmail => ({
  emailId,
  claimToken,
  smtpMessageId: `<${emailId}.1@outflow.test>`,
  smtpResponse: '250 OK',
  smtpMs: 12,
  followup: (sentAt) => ({
    topic: 'followup-events',
    messageId: `followup:${emailId}`,
    key: sequenceContactId,
    payload: {
      event_id: randomUUID(),
      email_id: emailId,
      sequence_id: randomUUID(),
      sequence_contact_id: sequenceContactId,
      contact_id: randomUUID(),
      mailbox_id: randomUUID(),
      step_order: 1,
      sent_at: sentAt.getTime(),
    },
  }),
});

describe('the batched send statements', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('starts each claimed email once, and nothing for a stale token or a duplicate in the same batch', async () => {
    const [a, b] = [await seedClaimedEmail(test), await seedClaimedEmail(test)];
    const started = await startSendingMany(
      test.db,
      [
        { emailId: a.email.id, claimToken: a.claimToken, messageIdDomain: 'acme.example' },
        { emailId: b.email.id, claimToken: randomUUID(), messageIdDomain: 'acme.example' },
        { emailId: a.email.id, claimToken: a.claimToken, messageIdDomain: 'acme.example' },
      ],
      60_000,
    );
    // The attempt's Message-ID is stored before anything is sent: a reply or the Sent folder's copy names it.
    const messageId = `<${a.email.id}.1@acme.example>`;
    expect(started).toEqual([{ attempts: 1, smtpMessageId: messageId }, undefined, undefined]);
    const stored = await test.db
      .selectFrom('email_queues')
      .select(['id', 'smtp_message_id'])
      .where('id', 'in', [a.email.id, b.email.id])
      .execute();
    expect(new Map(stored.map((row) => [row.id, row.smtp_message_id]))).toEqual(
      new Map([
        [a.email.id, messageId],
        [b.email.id, null],
      ]),
    );
    const contexts = await findSendContexts(test.db, [a.email.id, randomUUID(), b.email.id]);
    expect(contexts.map((context) => context?.status)).toEqual(['sending', undefined, 'queued']);
    expect(contexts[0]?.contact_email).toBe(a.contact.email);
  });

  it("loads a follow-up's thread: the first step's subject and the earlier emails' Message-IDs, oldest first", async () => {
    const seeded = await seedEnrolledEmail(test.db);
    await sql`update email_queues set status = 'sent', sent_at = now(), smtp_message_id = '<one@t.test>'
      where id = ${seeded.email.id}`.execute(test.db);
    const followUp = async (stepOrder: number, status: 'sent' | 'scheduled', messageId: string | null) => {
      const step = await test.db
        .insertInto('steps')
        .values({
          sequence_id: seeded.sequence.id,
          step_order: stepOrder,
          subject: null,
          content: 'Again',
          wait_days: 1,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const email = await test.db
        .insertInto('email_queues')
        .values({
          sequence_contact_id: seeded.enrollment.id,
          sequence_id: seeded.sequence.id,
          step_id: step.id,
          step_order: stepOrder,
          contact_id: seeded.contact.id,
          mailbox_id: seeded.mailbox.id,
          scheduled_for: new Date(),
          status,
          ...(status === 'sent' ? { sent_at: new Date(), smtp_message_id: messageId } : {}),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return email.id;
    };
    await followUp(2, 'sent', '<two@t.test>');
    const third = await followUp(3, 'scheduled', null);
    const [firstContext, thirdContext] = await findSendContexts(test.db, [seeded.email.id, third]);
    expect(firstContext).toMatchObject({ thread_subject: null, thread_message_ids: null });
    expect(thirdContext).toMatchObject({
      subject: null,
      thread_subject: 'Hi',
      thread_message_ids: ['<one@t.test>', '<two@t.test>'],
    });
    // The first step opens the thread: it cannot go without a subject.
    await expect(sql`update steps set subject = null where id = ${seeded.step.id}`.execute(test.db)).rejects.toThrow(
      /steps_first_has_subject/,
    );
  });

  it("moves an email claimed outside its window back to wait for the window's next opening, capacity given back", async () => {
    const claimed = await seedClaimedEmail(test);
    const setWindow = (days: string, from: string, to: string) =>
      sql`
        update sequences set send_days = ${days}::smallint[], send_from = ${from}::time, send_to = ${to}::time
        where id = ${claimed.sequence.id}
      `.execute(test.db);
    // Open all day, every day: nothing to wait for.
    await setWindow('{1,2,3,4,5,6,7}', '00:00', '23:59:59.999');
    expect((await findSendContexts(test.db, [claimed.email.id]))[0]!.window_opens_at).toBeNull();
    // Only tomorrow (UTC, the sequence's default zone), from 09:00.
    const tomorrow = new Date(
      Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1),
    );
    await setWindow(`{${((tomorrow.getUTCDay() + 6) % 7) + 1}}`, '09:00', '17:00');
    const opensAt = (await findSendContexts(test.db, [claimed.email.id]))[0]!.window_opens_at!;
    expect(opensAt).toEqual(new Date(tomorrow.getTime() + 9 * 3_600_000));

    const move = { emailId: claimed.email.id, claimToken: claimed.claimToken, opensAt };
    expect(await deferToSendWindow(test.db, move)).toBe(true);
    expect(await deferToSendWindow(test.db, move)).toBe(false);
    const row = await test.db
      .selectFrom('email_queues')
      .select(['status', 'scheduled_for', 'claim_token', 'capacity_day'])
      .where('id', '=', claimed.email.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'scheduled', scheduled_for: opensAt, claim_token: null, capacity_day: null });
    const counts = await test.db
      .selectFrom('mailbox_daily_counts')
      .select(['reserved_count', 'sent_count'])
      .where('mailbox_id', '=', claimed.mailbox.id)
      .executeTakeFirstOrThrow();
    expect(counts).toEqual({ reserved_count: 0, sent_count: 0 });
  });

  it('marks an email whose job was dead-lettered while it waits under that claim, once, until a send starts', async () => {
    const email = await seedClaimedEmail(test);
    const letter = {
      emailId: email.email.id,
      claimToken: email.claimToken,
      errorCode: 'DECODE_FAILED',
      errorMessage: 'x',
    };
    const deliveryStatus = async () => {
      const { rows } = await sql<{ status: string; events: string }>`
        select email_delivery_status(status, retry_count, dead_lettered_at)::text as status,
          (select count(*) from email_events where email_queue_id = e.id and type = 'dead_lettered') as events
        from email_queues e where id = ${email.email.id}
      `.execute(test.db);
      return rows[0];
    };

    expect(await markDeadLettered(test.db, { ...letter, claimToken: randomUUID() })).toBe(false);
    expect(await deliveryStatus()).toEqual({ status: 'queued', events: '0' });
    expect(await markDeadLettered(test.db, letter)).toBe(true);
    expect(await markDeadLettered(test.db, letter)).toBe(false);
    expect(await deliveryStatus()).toEqual({ status: 'dead_letter', events: '1' });

    // The claim is published again and a copy gets through: the send starts and the mark is gone.
    expect(
      await startSendingMany(
        test.db,
        [{ emailId: email.email.id, claimToken: email.claimToken, messageIdDomain: 'acme.example' }],
        60_000,
      ),
    ).toEqual([{ attempts: 1, smtpMessageId: `<${email.email.id}.1@acme.example>` }]);
    expect(await deliveryStatus()).toEqual({ status: 'in_progress', events: '1' });
    // A late copy of the dead letter changes nothing once the email has moved on.
    expect(await markDeadLettered(test.db, letter)).toBe(false);
    const { rows } = await sql<{ change: string }>`
      select coalesce(from_status::text, '-') || '>' || to_status::text as change
      from delivery_events where email_queue_id = ${email.email.id} order by occurred_at
    `.execute(test.db);
    expect(rows.map((row) => row.change)).toEqual(['->queued', 'queued>dead_letter', 'dead_letter>in_progress']);
  });

  it('records a batch of sends in one transaction: counts, steps, events and outbox, each once', async () => {
    const emails = [await seedClaimedEmail(test), await seedClaimedEmail(test), await seedClaimedEmail(test)];
    await startSendingMany(
      test.db,
      emails.map((email) => ({ emailId: email.email.id, claimToken: email.claimToken, messageIdDomain: 'a.example' })),
      60_000,
    );
    const [first, second, third] = emails as [(typeof emails)[0], (typeof emails)[0], (typeof emails)[0]];
    const sends = [
      sentEmail(first.email.id, first.claimToken, first.enrollment.id),
      sentEmail(second.email.id, second.claimToken, second.enrollment.id),
      // Not ours: another claim's token.
      sentEmail(third.email.id, randomUUID(), third.enrollment.id),
      // The same send twice in one batch.
      sentEmail(first.email.id, first.claimToken, first.enrollment.id),
    ];
    const results = await recordSentMany(test.db, sends);
    expect(results.map((result) => result?.outboxIds.length)).toEqual([1, 1, undefined, undefined]);
    // Recording again changes nothing.
    expect(await recordSentMany(test.db, sends.slice(0, 2))).toEqual([undefined, undefined]);

    const ids = emails.map((email) => email.email.id);
    const rows = await test.db
      .selectFrom('email_queues')
      .select(['id', 'status', 'smtp_message_id'])
      .where('id', 'in', ids)
      .execute();
    const status = Object.fromEntries(rows.map((row) => [row.id, row.status]));
    expect([status[first.email.id], status[second.email.id], status[third.email.id]]).toEqual([
      'sent',
      'sent',
      'sending',
    ]);
    const counts = await test.db
      .selectFrom('mailbox_daily_counts')
      .select(['mailbox_id', 'reserved_count', 'sent_count'])
      .where(
        'mailbox_id',
        'in',
        emails.map((email) => email.mailbox.id),
      )
      .execute();
    const count = Object.fromEntries(counts.map((row) => [row.mailbox_id, [row.reserved_count, row.sent_count]]));
    expect([count[first.mailbox.id], count[second.mailbox.id], count[third.mailbox.id]]).toEqual([
      [0, 1],
      [0, 1],
      [1, 0],
    ]);
    const steps = await test.db
      .selectFrom('sequence_contacts')
      .select(['id', 'current_step'])
      .where('id', 'in', [first.enrollment.id, third.enrollment.id])
      .execute();
    expect(Object.fromEntries(steps.map((row) => [row.id, row.current_step]))).toEqual({
      [first.enrollment.id]: 1,
      [third.enrollment.id]: 0,
    });
    const events = await test.db
      .selectFrom('email_events')
      .select('email_queue_id')
      .where('type', '=', 'sent')
      .where('email_queue_id', 'in', ids)
      .execute();
    expect(events.map((event) => event.email_queue_id).sort()).toEqual([first.email.id, second.email.id].sort());
    const outbox = await test.db
      .selectFrom('outbox')
      .select('message_id')
      .where('message_id', 'in', [`followup:${first.email.id}`, `followup:${second.email.id}`])
      .execute();
    expect(outbox).toHaveLength(2);
  });
});
