import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKafka, createSchemaCodec, readTopic } from '@outflow/kafka';
import {
  findRepoRoot,
  serviceNames,
  startImapServer,
  testLogger,
  type ImapServer,
  type ReceivedMessage,
} from '@outflow/stack';
import { eventually } from './api-client.js';
import { runningPipeline, type RunningPipeline } from './running-pipeline.js';

/**
 * The inbox reader on the whole pipeline, against a real IMAP server (Dovecot) whose INBOX receives what the
 * recipients send back, as a provider's would.
 */
const mailboxAddress = 'sam@acme.test';
const imapPassword = 'imap-secret';

function useImapServer(): { server: ImapServer } {
  const holder = {} as { server: ImapServer };
  beforeAll(async () => {
    holder.server = await startImapServer();
    await holder.server.addUser(mailboxAddress, imapPassword);
  });
  afterAll(async () => {
    await holder.server?.stop();
  });
  return holder;
}

/** A mailbox on the stack's SMTP sink whose inbox is the Dovecot account; returns its id. */
async function createReadMailbox(e2e: RunningPipeline, imap: ImapServer): Promise<string> {
  const mailbox = await e2e.api('POST', '/api/v1/mailboxes', {
    email: mailboxAddress,
    smtp_host: e2e.stack.smtp.host,
    smtp_port: e2e.stack.smtp.port,
    smtp_username: mailboxAddress,
    smtp_password: 'smtp-secret',
    smtp_allow_insecure_auth: true,
    daily_capacity: 100,
  });
  const id = String(mailbox.body['id']);
  const imapSettings = await e2e.api('PUT', `/api/v1/mailboxes/${id}/imap`, {
    host: imap.host,
    port: imap.port,
    tls: false,
    username: mailboxAddress,
    password: imapPassword,
  });
  expect(imapSettings.status).toBe(200);
  return id;
}

async function createSequence(e2e: RunningPipeline, name: string, mailboxId: string, extra: object = {}) {
  const sequence = await e2e.api('POST', '/api/v1/sequences', {
    name,
    mailbox_ids: [mailboxId],
    steps: [
      { subject: `${name}: hello`, content: 'Step one', wait_days: 0 },
      { subject: `${name}: again`, content: 'Step two', wait_days: 1 },
    ],
    ...extra,
  });
  return `/api/v1/sequences/${String(sequence.body['id'])}`;
}

type Enrollment = { email: string; status: string };

async function enrollmentsOf(e2e: RunningPipeline, base: string): Promise<Map<string, string>> {
  const { body } = await e2e.api<{ contacts: Enrollment[] }>('GET', `${base}/contacts`);
  return new Map(body.contacts.map((enrollment) => [enrollment.email, enrollment.status]));
}

const messageTo = (messages: readonly ReceivedMessage[], recipient: string, subject: string) =>
  messages.find((message) => message.to.includes(recipient) && message.headers['subject']?.startsWith(subject));

const reply = (from: string, original: ReceivedMessage, body: string, extraHeaders = '') =>
  [
    `From: ${from}`,
    `To: ${mailboxAddress}`,
    `Subject: Re: ${original.headers['subject']}`,
    `Message-ID: <reply-${Date.now()}-${Math.random().toString(36).slice(2)}@prospect.test>`,
    `In-Reply-To: ${original.headers['message-id']}`,
    `References: ${original.headers['message-id']}`,
    `Date: ${new Date().toUTCString()}`,
    ...(extraHeaders ? [extraHeaders] : []),
    '',
    body,
    '',
  ].join('\r\n');

/** Every service: the reader beside the whole pipeline it stops. */
const allServices = serviceNames;

describe('the inbox reader stops sequences on replies and hard bounces read over IMAP', () => {
  // Leases renewed every second: a mailbox is followed within a second of its IMAP settings.
  const e2e = runningPipeline({ services: allServices, env: { IMAP_LEASE_MS: '3000' } });
  const imap = useImapServer();
  let mailboxId: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    mailboxId = await createReadMailbox(e2e, imap.server);
    first = await createSequence(e2e, 'First', mailboxId);
    second = await createSequence(e2e, 'Second', mailboxId);
    await e2e.api('POST', `${first}/contacts`, {
      contacts: [
        { email: 'dana@prospect.test' },
        { email: 'kim@prospect.test' },
        { email: 'gone@prospect.test' },
        { email: 'leave@prospect.test' },
      ],
    });
    await e2e.api('POST', `${second}/contacts`, { contacts: [{ email: 'dana@prospect.test' }] });
    // Every first step is out: the second steps wait a day.
    await e2e.stack.smtp.waitForMessages(5, 60_000);
  }, 120_000);

  it('a reply to one sequence stops the contact in both, with its unsent follow-ups, and says so on email-events', async () => {
    const original = messageTo(e2e.stack.smtp.messages, 'dana@prospect.test', 'First')!;
    await imap.server.deliver(mailboxAddress, reply('Dana <dana@prospect.test>', original, 'Yes, call me Thursday.'));

    await eventually(async () => {
      const [a, b] = [await enrollmentsOf(e2e, first), await enrollmentsOf(e2e, second)];
      return a.get('dana@prospect.test') === 'replied' && b.get('dana@prospect.test') === 'replied';
    });
    expect((await enrollmentsOf(e2e, first)).get('kim@prospect.test')).toBe('active');
    const { body: emails } = await e2e.api<{ emails: Array<{ id: string; recipient: string; status: string }> }>(
      'GET',
      '/api/v1/emails?limit=100',
    );
    const dana = emails.emails.filter((email) => email.recipient === 'dana@prospect.test');
    // Two first steps sent, both second steps cancelled (the follow-up scheduler made them after the sends).
    await eventually(async () => {
      const { body } = await e2e.api<{ emails: Array<{ recipient: string; status: string }> }>(
        'GET',
        '/api/v1/emails?limit=100',
      );
      const statuses = body.emails
        .filter((email) => email.recipient === 'dana@prospect.test')
        .map((email) => email.status)
        .sort();
      return statuses.join() === 'cancelled,cancelled,sent,sent';
    });
    const answered = dana.find((email) => original.headers['message-id']!.includes(email.id))!;
    const { body: history } = await e2e.api<{ events: Array<{ type: string; metadata: Record<string, string> }> }>(
      'GET',
      `/api/v1/emails/${answered.id}`,
    );
    expect(history.events).toContainEqual(
      expect.objectContaining({
        type: 'replied',
        metadata: expect.objectContaining({ matched_by: 'message-id', from: 'dana@prospect.test' }),
      }),
    );

    const kafka = createKafka({
      brokers: e2e.stack.broker.brokers,
      clientId: 'inbox-e2e',
      logger: testLogger('inbox-e2e'),
      namePrefix: e2e.stack.topicPrefix,
    });
    const codec = createSchemaCodec({ registryUrl: e2e.stack.registry.url });
    const events = await eventually(async () => {
      const stored = await readTopic(kafka, 'email-events', { limit: 100 });
      const decoded = await Promise.all(stored.map((message) => codec.decode('email-events', message.value)));
      return decoded.some((event) => event.type === 'replied') && decoded;
    });
    expect(events.filter((event) => event.type === 'replied')).toEqual([
      expect.objectContaining({ email_id: answered.id, mailbox_id: mailboxId }),
    ]);
  });

  it('an out-of-office answer is recorded and stops nothing', async () => {
    const original = messageTo(e2e.stack.smtp.messages, 'kim@prospect.test', 'First')!;
    await imap.server.deliver(
      mailboxAddress,
      reply('Kim <kim@prospect.test>', original, 'I am away until Monday.', 'Auto-Submitted: auto-replied'),
    );
    const recorded = await eventually(async () => {
      const rows = await e2e.database.db
        .selectFrom('inbound_messages')
        .select(['kind', 'contact_id', 'stopped_enrollments'])
        .where('from_address', '=', 'kim@prospect.test')
        .execute();
      return rows[0];
    });
    expect(recorded).toMatchObject({ kind: 'auto_reply', stopped_enrollments: 0 });
    expect((await enrollmentsOf(e2e, first)).get('kim@prospect.test')).toBe('active');
  });

  it('a delivery status notification of a hard bounce suppresses the address and stops it', async () => {
    const original = messageTo(e2e.stack.smtp.messages, 'gone@prospect.test', 'First')!;
    const sample = await readFile(
      `${findRepoRoot()}/services/inbox-reader/src/classify/samples/postfix-dsn-hard.eml`,
      'utf8',
    );
    // The MTA's report, about the email the sender really sent.
    const dsn = sample
      .replaceAll('gone@prospect.example', 'gone@prospect.test')
      .replaceAll('sam@acme.example', mailboxAddress)
      .replace('<0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a60.1@acme.example>', original.headers['message-id']!);
    await imap.server.deliver(mailboxAddress, dsn);

    await eventually(async () => (await enrollmentsOf(e2e, first)).get('gone@prospect.test') === 'bounced');
    const { body } = await e2e.api<{ suppressions: Array<{ email: string; reason: string; note: string }> }>(
      'GET',
      '/api/v1/suppressions',
    );
    expect(body.suppressions).toEqual([
      expect.objectContaining({
        email: 'gone@prospect.test',
        reason: 'bounced',
        note: expect.stringContaining('5.1.1'),
      }),
    ]);
    // Its reader's progress is on the mailbox's IMAP settings.
    const { body: settings } = await e2e.api<{ reader: { last_uid: string; last_error: string | null } }>(
      'GET',
      `/api/v1/mailboxes/${mailboxId}/imap`,
    );
    expect(settings.reader).toMatchObject({ last_uid: '3', last_error: null });
  });

  it("the List-Unsubscribe mailto, answered from the recipient's mail client, unsubscribes them", async () => {
    const original = messageTo(e2e.stack.smtp.messages, 'leave@prospect.test', 'First')!;
    const mailto = /<mailto:([^?>]+)\?subject=([^>]+)>/.exec(
      original.headers['list-unsubscribe']!.replace(/\s+/g, ' '),
    );
    expect(mailto![1]).toBe(mailboxAddress);
    // What a client's unsubscribe button sends: the mailto's subject, nothing else.
    await imap.server.deliver(
      mailboxAddress,
      [
        'From: leave@prospect.test',
        `To: ${mailboxAddress}`,
        `Subject: ${decodeURIComponent(mailto![2]!)}`,
        'Message-ID: <unsubscribe-1@prospect.test>',
        '',
        '',
      ].join('\r\n'),
    );
    await eventually(async () => (await enrollmentsOf(e2e, first)).get('leave@prospect.test') === 'unsubscribed');
    const { body } = await e2e.api<{ suppressions: Array<{ email: string; reason: string }> }>(
      'GET',
      '/api/v1/suppressions?reason=unsubscribed',
    );
    expect(body.suppressions).toEqual([expect.objectContaining({ email: 'leave@prospect.test' })]);
  });

  it('a login the IMAP server refuses is shown on the mailbox, and the right password gets it read', async () => {
    await imap.server.addUser('locked@acme.test', 'right-password');
    const mailbox = await e2e.api('POST', '/api/v1/mailboxes', {
      email: 'locked@acme.test',
      smtp_host: e2e.stack.smtp.host,
      smtp_port: e2e.stack.smtp.port,
      smtp_allow_insecure_auth: true,
    });
    const path = `/api/v1/mailboxes/${String(mailbox.body['id'])}/imap`;
    const settings = { host: imap.server.host, port: imap.server.port, tls: false, username: 'locked@acme.test' };
    await e2e.api('PUT', path, { ...settings, password: 'wrong-password' });
    type Progress = { reader: { last_error: string | null; last_uid: string | null } };
    const failing = await eventually(async () => (await e2e.api<Progress>('GET', path)).body.reader.last_error);
    expect(failing).toMatch(/^the IMAP server refused the login \(check the user and password\)/);

    await e2e.api('PUT', path, { ...settings, password: 'right-password' });
    await eventually(async () => {
      const { reader } = (await e2e.api<Progress>('GET', path)).body;
      return reader.last_error === null && reader.last_uid === '0';
    });
  });

  it('a second replica takes the mailboxes over when the first stops, and reads on', async () => {
    const second = await e2e.pipeline.addReplica('inbox-reader');
    const owners = async () =>
      new Set(
        (await e2e.database.db.selectFrom('mailbox_imap').select('lease_owner').execute()).map(
          (row) => row.lease_owner,
        ),
      );
    // One replica holds every mailbox; the second waits.
    expect((await owners()).size).toBe(1);
    const holder = e2e.pipeline.processes.get('inbox-reader')!;
    holder.kill('SIGTERM');
    expect(await holder.waitForExit(30_000)).toBe(0);
    await eventually(async () => {
      const held = await owners();
      return held.size === 1 && !held.has(null);
    });

    const original = messageTo(e2e.stack.smtp.messages, 'kim@prospect.test', 'First')!;
    await imap.server.deliver(
      mailboxAddress,
      reply('Kim <kim@prospect.test>', original, 'Back now: yes, let us talk.'),
    );
    await eventually(async () => (await enrollmentsOf(e2e, first)).get('kim@prospect.test') === 'replied');
    expect(second.child.exitCode).toBeNull();
  });
});

describe('an uncertain send is settled from the Sent folder', () => {
  const e2e = runningPipeline({
    services: allServices,
    // A dead sender's lease runs out in 2 s and the producer looks for such emails five times a second; the reader
    // looks at the mailbox every second (the Sent folder raises no event in the INBOX it idles on).
    env: {
      SEND_LEASE_MS: '2000',
      PRODUCER_RECOVERY_INTERVAL_MS: '200',
      IMAP_LEASE_MS: '3000',
      IMAP_POLL_MS: '1000',
    },
  });
  const imap = useImapServer();

  it('finds its copy by Message-ID, marks it sent and schedules its follow-up', async () => {
    const mailboxId = await createReadMailbox(e2e, imap.server);
    const sender = e2e.pipeline.processes.get('smtp-sender')!;
    sender.kill('SIGTERM');
    await sender.waitForExit(30_000);
    // The worst moment to die: the SMTP server said 250, nothing is recorded.
    const crashing = await e2e.pipeline.restart('smtp-sender', {
      OUTFLOW_FAILPOINTS: 'sender.after-smtp-before-commit=1',
    });
    const sequence = await createSequence(e2e, 'Uncertain', mailboxId);
    await e2e.api('POST', `${sequence}/contacts`, { contacts: [{ email: 'maybe@prospect.test' }] });
    const [delivered] = await e2e.stack.smtp.waitForMessages(1, 60_000);
    await crashing.waitForExit(30_000);
    const uncertain = await eventually(async () => {
      const { body } = await e2e.api<{ emails: Array<{ id: string }> }>('GET', '/api/v1/emails?status=uncertain');
      return body.emails[0];
    });
    // A sender that stays up for the rest (its exit code is what the pipeline checks at the end).
    await e2e.pipeline.restart('smtp-sender');

    // Gmail files what its SMTP server accepted in the Sent folder.
    await imap.server.deliver(mailboxAddress, delivered!.raw, 'Sent');
    await eventually(async () => {
      const { body } = await e2e.api<{ status: string }>('GET', `/api/v1/emails/${uncertain.id}`);
      return body.status === 'sent';
    });
    await eventually(async () => {
      const { body: now } = await e2e.api<{ emails: Array<{ step_order: number; status: string }> }>(
        'GET',
        '/api/v1/emails?limit=10',
      );
      return now.emails.some((email) => email.step_order === 2 && email.status === 'scheduled');
    });
    // Settled, not sent again.
    expect(e2e.stack.smtp.messages).toHaveLength(1);
  }, 120_000);
});
