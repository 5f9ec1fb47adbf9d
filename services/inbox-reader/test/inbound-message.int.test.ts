import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { unsubscribeTokens } from '@outflow/config';
import { createTestDatabase, seedEnrolledEmail, type TestDatabase } from '@outflow/db/testing';
import { testLogger } from '@outflow/stack';
import { leaseMailboxes, type LeasedMailbox } from '../src/imap/imap-lease.repository.js';
import { handleInboundMessage, type InboundDeps } from '../src/inbound/inbound-message.handler.js';

/** The handler on a real database: what a message read from an INBOX changes, once, and only under the lease. */
describe('handleInboundMessage', () => {
  let test: TestDatabase;
  let deps: InboundDeps;
  const published: string[][] = [];
  const tokens = unsubscribeTokens(new Map([['k1', Buffer.alloc(32, 7)]]), 'k1');
  beforeAll(async () => {
    test = await createTestDatabase();
    deps = {
      db: test.db,
      logger: testLogger('inbound'),
      owner: 'reader-1',
      replyMatchDays: 30,
      tokens,
      publish: async (ids) => void published.push(ids),
    };
  });
  afterAll(async () => {
    await test?.drop();
  });

  /** A sent email to `contact`, from a mailbox with IMAP this reader holds. */
  async function sentEmail(contact: string) {
    const seeded = await seedEnrolledEmail(test.db, contact);
    const messageId = `<${seeded.email.id}.1@${seeded.mailbox.email.split('@')[1]}>`;
    await sql`
      update email_queues set status = 'sent', sent_at = now(), attempts = 1, smtp_message_id = ${messageId}
      where id = ${seeded.email.id}
    `.execute(test.db);
    await test.db
      .insertInto('mailbox_imap')
      .values({
        mailbox_id: seeded.mailbox.id,
        workspace_id: seeded.mailbox.workspace_id,
        host: '127.0.0.1',
        port: 143,
        username: 'u',
      })
      .execute();
    const leased = await leaseMailboxes(test.db, { owner: deps.owner, leaseMs: 60_000, max: 1_000 });
    const mailbox = leased.find((row) => row.mailbox_id === seeded.mailbox.id)!;
    return { ...seeded, messageId, leased: mailbox };
  }

  const message = (uid: number, raw: string) => ({ uidvalidity: 1n, uid: BigInt(uid), source: Buffer.from(raw) });

  const enrollmentStatus = async (id: string) =>
    (await test.db.selectFrom('sequence_contacts').select('status').where('id', '=', id).executeTakeFirstOrThrow())
      .status;

  it('stops the contact on a reply, records the event and its email-events message, and does it once', async () => {
    const sent = await sentEmail('dana@prospect.test');
    const reply = `From: dana@prospect.test\r\nSubject: Re: Hi\r\nMessage-ID: <r1@prospect.test>\r\nIn-Reply-To: ${sent.messageId}\r\n\r\nyes\r\n`;
    const outcome = await handleInboundMessage(deps, sent.leased, message(1, reply));
    expect(outcome).toEqual({ kind: 'reply', stoppedEnrollments: 1, recorded: true });
    expect(await enrollmentStatus(sent.enrollment.id)).toBe('replied');
    const events = () =>
      test.db
        .selectFrom('email_events')
        .select(['type', 'metadata'])
        .where('email_queue_id', '=', sent.email.id)
        .where('type', '=', 'replied')
        .execute();
    expect(await events()).toEqual([
      { type: 'replied', metadata: expect.objectContaining({ matched_by: 'message-id', from: 'dana@prospect.test' }) },
    ]);
    expect(published.at(-1)).toHaveLength(1);

    // Read again (the reader died before its checkpoint was seen): nothing happens twice.
    expect(await handleInboundMessage(deps, sent.leased, message(1, reply))).toMatchObject({ recorded: false });
    expect(await events()).toHaveLength(1);
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from inbound_messages where mailbox_id = ${sent.mailbox.id}`.execute(test.db);
    expect(rows[0]!.n).toBe(1);
  });

  it('matches a reply that names none of our Message-IDs by its sender, and ignores a stranger', async () => {
    const sent = await sentEmail('kim@prospect.test');
    const stranger = await handleInboundMessage(
      deps,
      sent.leased,
      message(1, 'From: someone@else.test\r\nSubject: Hello\r\nMessage-ID: <s1@else.test>\r\n\r\nhi\r\n'),
    );
    expect(stranger).toEqual({ kind: 'other', stoppedEnrollments: 0, recorded: true });
    const fromContact = await handleInboundMessage(
      deps,
      sent.leased,
      message(2, 'From: Kim <KIM@prospect.test>\r\nSubject: Re: Hi\r\nMessage-ID: <k1@prospect.test>\r\n\r\nsure\r\n'),
    );
    expect(fromContact).toEqual({ kind: 'reply', stoppedEnrollments: 1, recorded: true });
    expect(await enrollmentStatus(sent.enrollment.id)).toBe('replied');
  });

  it('unsubscribes the contact a mailto request names by its token, else its sender if written to', async () => {
    const suppressed = async (address: string) =>
      (await test.db.selectFrom('suppressions').select('reason').where('email', '=', address).executeTakeFirst())
        ?.reason;
    const ann = await sentEmail('ann@prospect.test');
    const token = tokens.make({ workspaceId: ann.mailbox.workspace_id, contactId: ann.contact.id });
    // Sent from another address (a forwarding account): the signed token decides who.
    const byToken = await handleInboundMessage(
      deps,
      ann.leased,
      message(
        1,
        `From: ann.private@home.test\r\nSubject: unsubscribe ${token}\r\nMessage-ID: <u1@home.test>\r\n\r\n\r\n`,
      ),
    );
    expect(byToken).toEqual({ kind: 'unsubscribe', stoppedEnrollments: 1, recorded: true });
    expect(await suppressed('ann@prospect.test')).toBe('unsubscribed');
    expect(await enrollmentStatus(ann.enrollment.id)).toBe('unsubscribed');

    const bob = await sentEmail('bob@prospect.test');
    const tampered = `${token.slice(0, -2)}xx`;
    await handleInboundMessage(
      deps,
      bob.leased,
      message(1, `From: bob@prospect.test\r\nSubject: unsubscribe ${tampered}\r\nMessage-ID: <u2@p.test>\r\n\r\n\r\n`),
    );
    expect(await suppressed('bob@prospect.test')).toBe('unsubscribed');
    // A token that does not verify, from an address never written to: nobody is unsubscribed.
    const stranger = await handleInboundMessage(
      deps,
      bob.leased,
      message(2, `From: eve@evil.test\r\nSubject: unsubscribe ${tampered}\r\nMessage-ID: <u3@evil.test>\r\n\r\n\r\n`),
    );
    expect(stranger).toEqual({ kind: 'unsubscribe', stoppedEnrollments: 0, recorded: true });
    expect(await suppressed('eve@evil.test')).toBeUndefined();
  });

  it('records nothing once another replica holds the mailbox', async () => {
    const sent = await sentEmail('lee@prospect.test');
    const lapsed: LeasedMailbox = { ...sent.leased };
    await test.db
      .updateTable('mailbox_imap')
      .set({ lease_owner: 'reader-2' })
      .where('mailbox_id', '=', sent.mailbox.id)
      .execute();
    const reply = `From: lee@prospect.test\r\nSubject: Re: Hi\r\nMessage-ID: <l1@prospect.test>\r\nIn-Reply-To: ${sent.messageId}\r\n\r\nyes\r\n`;
    await expect(handleInboundMessage(deps, lapsed, message(1, reply))).rejects.toThrow(/no longer ours/);
    expect(await enrollmentStatus(sent.enrollment.id)).toBe('active');
  });
});
