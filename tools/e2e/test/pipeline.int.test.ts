import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';
import { sql } from 'kysely';
import { emailJobMessageId } from '@outflow/contracts';
import { createApiKey } from '@outflow/db';
import { createTestDatabase, type TestDatabase } from '@outflow/db/testing';
import {
  alertRulesPath,
  findRepoRoot,
  startOtlpReceiver,
  startPipeline,
  startPrometheus,
  type OtlpReceiver,
  startTestStack,
  type Pipeline,
  type ReceivedMessage,
  type ServiceName,
  type TestStack,
} from '@outflow/stack';
import { apiClient, eventually } from './api-client.js';

const DAY_SECONDS = 2;

/** The part of GET /sequences/{id} these tests read. */
interface SequenceCounts {
  counts: { enrollments: Record<string, number>; emails: Record<string, number> };
}
const RETRY_BASE_MS = 600;
const RETRY_JITTER = 0.2;

describe('the pipeline end to end: API and four services as processes, real PostgreSQL, broker and SMTP', () => {
  let stack: TestStack;
  let database: TestDatabase;
  let pipeline: Pipeline;
  let api: ReturnType<typeof apiClient>;
  let traces: OtlpReceiver;

  beforeAll(async () => {
    stack = await startTestStack();
    database = await createTestDatabase();
    // Every service traces every email to an in-memory OTLP receiver: the scenarios run instrumented, and the
    // tracing test reads one email's spans back.
    traces = await startOtlpReceiver();
    pipeline = await startPipeline({
      databaseUrl: database.url,
      kafkaBrokers: stack.broker.brokers,
      schemaRegistryUrl: stack.registry.url,
      env: {
        KAFKA_TOPIC_PREFIX: stack.topicPrefix,
        OUTFLOW_DAY_SECONDS: String(DAY_SECONDS),
        PRODUCER_TICK_MS: '100',
        RETRY_BASE_DELAY_MS: String(RETRY_BASE_MS),
        RETRY_JITTER: String(RETRY_JITTER),
        SMTP_TIMEOUT_MS: '5000',
        OTEL_EXPORTER_OTLP_ENDPOINT: traces.url,
        QUEUE_STATS_INTERVAL_MS: '500',
        METRICS_MAILBOXES: 'alpha@sender.test',
      },
    });
    const { key } = await createApiKey(database.db, 'e2e');
    api = apiClient(pipeline.apiUrl, key);
  }, 120_000);

  afterAll(async () => {
    const codes = await pipeline?.stop();
    await database?.drop();
    await stack?.close();
    await traces?.close();
    // Every service stopped cleanly on SIGTERM.
    if (codes) expect(Object.values(codes).every((code) => code === 0)).toBe(true);
  });

  const createMailbox = async (email: string, capacity = 10_000) => {
    const { status, body } = await api('POST', '/api/v1/mailboxes', {
      email,
      smtp_host: stack.smtp.host,
      smtp_port: stack.smtp.port,
      smtp_username: email,
      smtp_password: 'not-a-real-password',
      smtp_allow_insecure_auth: true, // the sink offers no TLS; the stack runs in development mode
      daily_capacity: capacity,
    });
    expect(status).toBe(201);
    return body['id'] as string;
  };

  const createSequence = async (mailboxIds: string[], waits: number[], name = 'Outreach') => {
    const { status, body } = await api('POST', '/api/v1/sequences', {
      name,
      mailbox_ids: mailboxIds,
      steps: waits.map((wait_days, index) => ({
        subject: `Step ${index + 1} for {{first_name}}`,
        content: `Hello {{ first_name | default: "there" }}, this is step ${index + 1}.`,
        wait_days,
      })),
    });
    expect(status).toBe(201);
    return body['id'] as string;
  };

  const enroll = async (sequenceId: string, emails: string[]) => {
    const { status, body } = await api('POST', `/api/v1/sequences/${sequenceId}/contacts`, {
      contacts: emails.map((email, index) => ({ email, first_name: `C${index}` })),
    });
    expect(status).toBe(201);
    return body as {
      contacts_added: number;
      enrollments: Array<{ email: string; mailbox_id: string; sequence_contact_id: string }>;
    };
  };

  const messagesTo = (recipients: Set<string>): ReceivedMessage[] =>
    stack.smtp.messages.filter((message) => message.to.some((to) => recipients.has(to)));

  it('sends 100 contacts x 3 steps over 2 mailboxes: each email once, in order, after its wait, from the assigned mailbox', async () => {
    const mailboxEmails = ['alpha@sender.test', 'beta@sender.test'];
    const mailboxIds = await Promise.all(mailboxEmails.map((email) => createMailbox(email)));
    const sequenceId = await createSequence(mailboxIds, [0, 1, 1]);
    const recipients = Array.from({ length: 100 }, (_, index) => `lead${index}@example.com`);
    const enrolled = await enroll(sequenceId, recipients);
    expect(enrolled.contacts_added).toBe(100);
    // Rotation: the two mailboxes share the contacts evenly.
    expect(enrolled.enrollments.filter((e) => e.mailbox_id === mailboxIds[0]).length).toBe(50);

    await eventually(async () => {
      const { body } = await api<SequenceCounts>('GET', `/api/v1/sequences/${sequenceId}`);
      return body.counts.enrollments.completed === 100;
    }, 90_000);

    const received = messagesTo(new Set(recipients));
    expect(received).toHaveLength(300);
    const ids = received.map((message) => message.headers['x-outflow-email-id']);
    expect(new Set(ids).size).toBe(300);

    const emails = await database.db
      .selectFrom('email_queues as e')
      .innerJoin('contacts as c', 'c.id', 'e.contact_id')
      .innerJoin('mailboxes as m', 'm.id', 'e.mailbox_id')
      .select([
        'e.id',
        'c.email as recipient',
        'm.email as mailbox',
        'e.step_order',
        'e.sent_at',
        'e.status',
        'e.mailbox_id',
      ])
      .where('e.sequence_id', '=', sequenceId)
      .execute();
    expect(emails.every((email) => email.status === 'sent')).toBe(true);
    const assigned = new Map(enrolled.enrollments.map((e) => [e.email, e.mailbox_id]));
    const byId = new Map(emails.map((email) => [email.id, email]));
    for (const message of received) {
      const email = byId.get(message.headers['x-outflow-email-id']!)!;
      expect(message.to).toEqual([email.recipient]);
      expect(message.from).toBe(email.mailbox);
      expect(email.mailbox_id).toBe(assigned.get(email.recipient));
    }
    for (const recipient of recipients) {
      const steps = emails.filter((email) => email.recipient === recipient).sort((a, b) => a.step_order - b.step_order);
      expect(steps.map((step) => step.step_order)).toEqual([1, 2, 3]);
      // Each follow-up went out no earlier than its wait after the previous step (database clock).
      for (let i = 1; i < steps.length; i++) {
        expect(steps[i]!.sent_at!.getTime() - steps[i - 1]!.sent_at!.getTime()).toBeGreaterThanOrEqual(
          DAY_SECONDS * 1000,
        );
      }
      // And the sink received them in step order.
      const arrivals = received
        .filter((message) => message.to[0] === recipient)
        .map((message) => byId.get(message.headers['x-outflow-email-id']!)!.step_order);
      expect(arrivals).toEqual([1, 2, 3]);
    }

    const { body: detail } = await api<SequenceCounts>('GET', `/api/v1/sequences/${sequenceId}`);
    expect(detail.counts).toMatchObject({
      enrollments: { total: 100, active: 0, completed: 100, bounced: 0 },
      emails: { sent: 300, failed: 0, queued: 0, retrying: 0 },
    });
    // The stats endpoint sees the same sends, timed by the senders' SMTP transactions.
    const { body: stats } = await api<{ last_hour: { sent: number; send_ms: { p50: number; p95: number } } }>(
      'GET',
      '/api/v1/stats',
    );
    expect(stats.last_hour.sent).toBeGreaterThanOrEqual(300);
    expect(stats.last_hour.send_ms.p50).toBeGreaterThanOrEqual(0);
    expect(stats.last_hour.send_ms.p95).toBeGreaterThanOrEqual(stats.last_hour.send_ms.p50);
  }, 120_000);

  it('retries 451 with backoff until delivered once, and stops at a 550 with the enrollment bounced', async () => {
    const mailboxId = await createMailbox('gamma@sender.test');
    const sequenceId = await createSequence([mailboxId], [0, 1]);
    stack.smtp.addFault({
      recipient: 'grey@example.com',
      action: { type: 'reply', code: 451, message: '4.7.1 Greylisted, try again later' },
      times: 2,
    });
    stack.smtp.addFault({
      recipient: 'gone@example.com',
      action: { type: 'reply', code: 550, message: '5.1.1 User unknown' },
    });
    await enroll(sequenceId, ['grey@example.com', 'gone@example.com']);

    const grey = await eventually(async () => {
      const row = await database.db
        .selectFrom('email_queues as e')
        .innerJoin('contacts as c', 'c.id', 'e.contact_id')
        .selectAll('e')
        .where('c.email', '=', 'grey@example.com')
        .where('e.step_order', '=', 1)
        .where('e.status', '=', 'sent')
        .executeTakeFirst();
      return row;
    });
    expect(grey.retry_count).toBe(2);
    expect(grey.attempts).toBe(3);
    const greyAttempts = stack.smtp.attempts.filter((attempt) => attempt.recipients.includes('grey@example.com'));
    expect(greyAttempts.slice(0, 3).map((attempt) => attempt.outcome)).toEqual([451, 451, 250]);
    // Backoff: the first retry waited at least base x (1 - jitter), the second twice that.
    const gap1 = greyAttempts[1]!.at.getTime() - greyAttempts[0]!.at.getTime();
    const gap2 = greyAttempts[2]!.at.getTime() - greyAttempts[1]!.at.getTime();
    expect(gap1).toBeGreaterThanOrEqual(RETRY_BASE_MS * (1 - RETRY_JITTER));
    expect(gap2).toBeGreaterThanOrEqual(2 * RETRY_BASE_MS * (1 - RETRY_JITTER));
    expect(
      messagesTo(new Set(['grey@example.com'])).filter((m) => m.headers['x-outflow-email-id'] === grey.id),
    ).toHaveLength(1);

    const history = await api<{
      retry_count: number;
      status_history: Array<{ to_status: string }>;
      last_error: { code: string };
    }>('GET', `/api/v1/emails/${grey.id}`);
    expect(history.body.retry_count).toBe(2);
    expect(history.body.last_error.code).toBe('451');
    expect(history.body.status_history.map((change) => change.to_status)).toEqual([
      'queued',
      'in_progress',
      'retrying',
      'queued',
      'in_progress',
      'retrying',
      'queued',
      'in_progress',
      'sent',
    ]);

    const gone = await eventually(async () =>
      database.db
        .selectFrom('email_queues as e')
        .innerJoin('contacts as c', 'c.id', 'e.contact_id')
        .innerJoin('sequence_contacts as sc', 'sc.id', 'e.sequence_contact_id')
        .select(['e.id', 'e.status', 'e.attempts', 'e.error_code', 'sc.status as enrollment', 'sc.id as enrollment_id'])
        .where('c.email', '=', 'gone@example.com')
        .where('e.status', '=', 'permanent_failure')
        .executeTakeFirst(),
    );
    expect(gone).toMatchObject({ attempts: 1, error_code: '550', enrollment: 'bounced' });
    expect(stack.smtp.attempts.filter((attempt) => attempt.recipients.includes('gone@example.com'))).toHaveLength(1);
    // Grey's follow-up proves the scheduler ran; gone got no follow-up.
    await eventually(async () => {
      const { body } = await api<SequenceCounts>('GET', `/api/v1/sequences/${sequenceId}`);
      return body.counts.enrollments.completed === 1;
    });
    const goneRows = await database.db
      .selectFrom('email_queues')
      .select('id')
      .where('sequence_contact_id', '=', gone.enrollment_id)
      .execute();
    expect(goneRows).toHaveLength(1);
  }, 90_000);

  it('fails an email whose step no longer renders at once, sending nothing, and ends the enrollment', async () => {
    const mailboxId = await createMailbox('render@outflow.test');
    const sequenceId = await createSequence([mailboxId], [0]);
    // Broken after validation (an edit straight in the database, a template engine upgrade): the sender finds out.
    await database.db
      .updateTable('steps')
      .set({ content_format: 'mjml', content: '<div>not MJML</div>' })
      .where('sequence_id', '=', sequenceId)
      .execute();
    await enroll(sequenceId, ['unrenderable@example.com']);
    const email = await eventually(async () =>
      database.db
        .selectFrom('email_queues as e')
        .innerJoin('sequence_contacts as sc', 'sc.id', 'e.sequence_contact_id')
        .select(['e.status', 'e.error_code', 'e.attempts', 'sc.status as enrollment'])
        .where('e.sequence_id', '=', sequenceId)
        .where('e.status', '=', 'permanent_failure')
        .executeTakeFirst(),
    );
    expect(email).toEqual({
      status: 'permanent_failure',
      error_code: 'RENDER_FAILED',
      attempts: 1,
      enrollment: 'bounced',
    });
    expect(stack.smtp.attempts.filter((attempt) => attempt.recipients.includes('unrenderable@example.com'))).toEqual(
      [],
    );
  });

  it('marks a send whose connection dropped after DATA uncertain, and never sends it again', async () => {
    const mailboxId = await createMailbox('zeta@sender.test');
    const sequenceId = await createSequence([mailboxId], [0, 1]);
    stack.smtp.addFault({ recipient: 'dropped@example.com', stage: 'data', action: { type: 'drop' } });
    await enroll(sequenceId, ['dropped@example.com']);
    const email = await eventually(async () =>
      database.db
        .selectFrom('email_queues')
        .selectAll()
        .where('sequence_id', '=', sequenceId)
        .where('status', '=', 'uncertain')
        .executeTakeFirst(),
    );
    expect(email).toMatchObject({ attempts: 1, retry_count: 0, error_code: 'ECONNECTION' });
    expect(stack.smtp.attempts.filter((attempt) => attempt.recipients.includes('dropped@example.com'))).toHaveLength(1);
    const { body } = await api<SequenceCounts>('GET', `/api/v1/sequences/${sequenceId}`);
    expect(body.counts.emails).toMatchObject({ uncertain: 1, sent: 0, failed: 0, queued: 0 });
    // It counts against the mailbox's capacity on the day it was claimed, as a send would.
    const counted = await database.db
      .selectFrom('mailbox_daily_counts')
      .selectAll()
      .where('mailbox_id', '=', mailboxId)
      .where('day', '=', email.capacity_day!)
      .executeTakeFirstOrThrow();
    expect(counted).toMatchObject({ sent_count: 1, reserved_count: 0 });
  }, 60_000);

  it('keeps a mailbox within its daily capacity: 25 due at capacity 10 go out 10, 10 and 5 on successive days', async () => {
    const mailboxId = await createMailbox('delta@sender.test', 10);
    const sequenceId = await createSequence([mailboxId], [0]);
    const recipients = Array.from({ length: 25 }, (_, index) => `cap${index}@example.com`);
    await enroll(sequenceId, recipients);
    await eventually(async () => {
      const { body } = await api<SequenceCounts>('GET', `/api/v1/sequences/${sequenceId}`);
      return body.counts.emails.sent === 25;
    });
    const perDay = await sql<{ day: string; n: number }>`
      select capacity_day::text as day, count(*)::int as n from email_queues
      where sequence_id = ${sequenceId} group by 1 order by 1
    `.execute(database.db);
    expect(perDay.rows.map((row) => row.n)).toEqual([10, 10, 5]);
    const counts = await database.db
      .selectFrom('mailbox_daily_counts')
      .selectAll()
      .where('mailbox_id', '=', mailboxId)
      .execute();
    expect(Math.max(...counts.map((row) => row.sent_count + row.reserved_count))).toBeLessThanOrEqual(10);
    expect(messagesTo(new Set(recipients))).toHaveLength(25);
  }, 90_000);

  it('sends nothing for a paused sequence or mailbox until resumed', async () => {
    const canaryMailbox = await createMailbox('canary@sender.test');
    const pausedMailbox = await createMailbox('sleepy@sender.test');
    const canarySequence = await createSequence([canaryMailbox], [1], 'Canary');
    const pausedSequence = await createSequence([canaryMailbox], [1], 'Paused sequence');
    const viaPausedMailbox = await createSequence([pausedMailbox], [1], 'Paused mailbox');
    // Step 1 waits a day (2 s), so both pauses are in place before anything is due. The canary is enrolled
    // last, so it is due last: once it is sent, the producer has run after the held emails were due.
    await enroll(pausedSequence, ['held1@example.com']);
    await enroll(viaPausedMailbox, ['held2@example.com']);
    await enroll(canarySequence, ['canary@example.com']);
    expect((await api('POST', `/api/v1/sequences/${pausedSequence}/pause`)).body['status']).toBe('paused');
    expect((await api('PATCH', `/api/v1/mailboxes/${pausedMailbox}`, { status: 'paused' })).body['status']).toBe(
      'paused',
    );

    // The canary, due at the same time, proves the producer had its chance.
    await eventually(async () => messagesTo(new Set(['canary@example.com'])).length === 1);
    const held = await database.db
      .selectFrom('email_queues')
      .select(['status', 'scheduled_for'])
      .where('sequence_id', 'in', [pausedSequence, viaPausedMailbox])
      .execute();
    expect(held.map((row) => row.status)).toEqual(['scheduled', 'scheduled']);
    expect(held.every((row) => row.scheduled_for.getTime() < Date.now())).toBe(true);
    expect(messagesTo(new Set(['held1@example.com', 'held2@example.com']))).toHaveLength(0);

    await api('POST', `/api/v1/sequences/${pausedSequence}/resume`);
    await api('PATCH', `/api/v1/mailboxes/${pausedMailbox}`, { status: 'active' });
    await eventually(async () => messagesTo(new Set(['held1@example.com', 'held2@example.com'])).length === 2);
  }, 60_000);

  it('shows an email whose job message cannot be read as dead_letter, and sends it once its claim is published again', async () => {
    const mailboxId = await createMailbox('poison@sender.test');
    const sequenceId = await createSequence([mailboxId], [1], 'Poison');
    // Step 1 waits a day (2 s): the mailbox is paused before it is due, so the producer leaves the email to this
    // test, which claims it as the producer would.
    const { enrollments } = await enroll(sequenceId, ['poison@example.com']);
    await api('PATCH', `/api/v1/mailboxes/${mailboxId}`, { status: 'paused' });
    const claimToken = randomUUID();
    const claimed = await database.db
      .updateTable('email_queues')
      .set({ status: 'queued', claim_token: claimToken, claimed_at: sql`now()`, capacity_day: sql`current_date` })
      .where('sequence_contact_id', '=', enrollments[0]!.sequence_contact_id)
      .where('status', '=', 'scheduled')
      .returning('id')
      .executeTakeFirstOrThrow();
    const emailPath = `/api/v1/emails/${claimed.id}`;

    // Its job message arrives unreadable (not the registry's framing), with its headers intact.
    const producer = new Kafka({ brokers: stack.broker.brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      await producer.send({
        topic: `${stack.topicPrefix}email-jobs`,
        messages: [
          {
            key: mailboxId,
            value: Buffer.from('not avro'),
            headers: { 'outflow-message-id': emailJobMessageId({ emailId: claimed.id, claimToken }) },
          },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    await eventually(async () => (await api('GET', emailPath)).body['delivery_status'] === 'dead_letter');

    // The claim times out (as if an hour had passed): the producer publishes it again, and this copy is read.
    await api('PATCH', `/api/v1/mailboxes/${mailboxId}`, { status: 'active' });
    await database.db
      .updateTable('email_queues')
      .set({ claimed_at: sql`now() - interval '1 hour'` })
      .where('id', '=', claimed.id)
      .execute();
    const { body } = await eventually(async () => {
      const response = await api<{
        delivery_status: string;
        status_history: Array<{ from_status: string | null; to_status: string }>;
        events: Array<{ type: string }>;
      }>('GET', emailPath);
      return response.body.delivery_status === 'sent' ? response : undefined;
    });
    expect(body.status_history.map((change) => `${change.from_status ?? '-'}>${change.to_status}`)).toEqual([
      '->queued',
      'queued>dead_letter',
      'dead_letter>in_progress',
      'in_progress>sent',
    ]);
    expect(body.events.map((event) => event.type)).toContain('dead_lettered');
    expect(messagesTo(new Set(['poison@example.com']))).toHaveLength(1);
  }, 60_000);

  it('sends once even when every email-jobs message is delivered twice', async () => {
    const mailboxId = await createMailbox('echo@sender.test');
    const sequenceId = await createSequence([mailboxId], [0]);
    const kafka = new Kafka({ brokers: stack.broker.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const consumer = kafka.consumer({ groupId: `duplicator-${sequenceId}`, maxWaitTimeInMs: 1000 });
    await consumer.connect();
    await consumer.subscribe({ topic: `${stack.topicPrefix}email-jobs`, fromBeginning: true });
    let duplicated = 0;
    // Re-publish each job exactly as it was (same key, value and headers): a second delivery of the message.
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.headers?.['outflow-duplicate']) return;
        await producer.send({
          topic: `${stack.topicPrefix}email-jobs`,
          messages: [
            { key: message.key, value: message.value, headers: { ...message.headers, 'outflow-duplicate': '1' } },
          ],
        });
        duplicated += 1;
      },
    });
    try {
      const recipients = Array.from({ length: 20 }, (_, index) => `echo${index}@example.com`);
      await enroll(sequenceId, recipients);
      await eventually(async () => {
        const { body } = await api<SequenceCounts>('GET', `/api/v1/sequences/${sequenceId}`);
        return body.counts.emails.sent === 20;
      });
      const mine = await database.db
        .selectFrom('email_queues')
        .select('id')
        .where('sequence_id', '=', sequenceId)
        .execute();
      const ids = new Set(mine.map((row) => row.id));
      // Wait until the duplicator copied every job and the sender consumed every copy: only then is the count final.
      const admin = kafka.admin();
      await admin.connect();
      const caughtUp = async (groupId: string) => {
        const topic = `${stack.topicPrefix}email-jobs`;
        const high = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return high.every((partition) => {
          const done = committed?.partitions.find((p) => p.partition === partition.partition)?.offset ?? '-1';
          return Number(partition.high) === 0 || Number(done) >= Number(partition.high);
        });
      };
      await eventually(() => caughtUp(`duplicator-${sequenceId}`));
      await eventually(() => caughtUp(`${stack.topicPrefix}smtp-sender`));
      await admin.disconnect();
      expect(duplicated).toBeGreaterThanOrEqual(20);
      const { body } = await api<{ emails: unknown[] }>(
        'GET',
        `/api/v1/emails?sequence_id=${sequenceId}&status=sent&limit=100`,
      );
      expect(body.emails).toHaveLength(20);
      const received = stack.smtp.messages.filter((message) => ids.has(message.headers['x-outflow-email-id']!));
      expect(received).toHaveLength(20);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  }, 60_000);

  it('counts what happened on each service /metrics (sends and failures by class, claims, follow-ups, retries), scraped by a real Prometheus', async () => {
    const healthPortOf = (name: ServiceName) =>
      pipeline.processes
        .get(name)!
        .output()
        .match(/"healthPort":(\d+)/)?.[1];
    // Each service's /metrics read once; the database after them: a send is counted once its record committed,
    // so the counter never runs ahead of the database.
    const scraped = new Map<ServiceName, Sample[]>();
    for (const name of pipeline.processes.keys()) {
      const response = await fetch(`http://127.0.0.1:${healthPortOf(name)}/metrics`);
      expect(response.status).toBe(200);
      scraped.set(name, parsePrometheusText(await response.text()));
    }
    const metricsOf = (name: ServiceName) => (metric: string, labels: Record<string, string>) =>
      sumOf(scraped.get(name)!, metric, labels);
    const { rows } = await sql<{ sent: number }>`
      select count(*)::int as sent from email_queues where status = 'sent'
    `.execute(database.db);
    const sender = metricsOf('smtp-sender');
    const sent = sender('outflow_emails_sent_total', { service: 'smtp-sender' });
    expect(sent).toBeGreaterThanOrEqual(300);
    expect(sent).toBeLessThanOrEqual(rows[0]!.sent);
    // The tests above made a 451, a 550, a step that no longer renders and a drop after DATA.
    for (const failure of ['4xx', '5xx', 'render', 'uncertain']) {
      expect(sender('outflow_send_failures_total', { class: failure })).toBeGreaterThanOrEqual(1);
    }
    expect(sender('outflow_smtp_send_duration_seconds_count', {})).toBeGreaterThanOrEqual(sent);
    expect(sender('nodejs_heap_size_used_bytes', { service: 'smtp-sender' })).toBeGreaterThan(0);

    const producer = metricsOf('cron-producer');
    expect(producer('outflow_emails_claimed_total', {})).toBeGreaterThanOrEqual(sent);
    expect(producer('outflow_producer_tick_duration_seconds_count', {})).toBeGreaterThan(0);
    const scheduler = metricsOf('followup-scheduler');
    expect(scheduler('outflow_followups_total', { outcome: 'scheduled' })).toBeGreaterThanOrEqual(200);
    expect(scheduler('outflow_followups_total', { outcome: 'completed' })).toBeGreaterThanOrEqual(100);
    const retries = metricsOf('retry-consumer');
    expect(
      retries('outflow_retry_decisions_total', { outcome: 'rescheduled', source: 'event' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      retries('outflow_retry_decisions_total', { outcome: 'permanent_failure', source: 'event' }),
    ).toBeGreaterThanOrEqual(1);
    // The dead-lettered job, the uncertain email; the queue figures, the configured mailbox's capacity, each consumer
    // group's lag per partition and each service's database pool.
    expect(sender('outflow_dead_letters_total', { topic: 'email-jobs' })).toBeGreaterThanOrEqual(1);
    expect(producer('outflow_emails', { status: 'uncertain' })).toBeGreaterThanOrEqual(1);
    expect(producer('outflow_mailbox_daily_capacity', { mailbox: 'alpha@sender.test', kind: 'limit' })).toBe(10_000);
    expect(producer('outflow_mailboxes', { status: 'active' })).toBeGreaterThanOrEqual(2);
    const seriesOf = (name: ServiceName, metric: string) =>
      scraped.get(name)!.filter((sample) => sample.name === metric);
    for (const [name, topic] of [
      ['smtp-sender', 'email-jobs'],
      ['followup-scheduler', 'followup-events'],
      ['retry-consumer', 'email-retries'],
    ] as const) {
      const lags = seriesOf(name, 'outflow_consumer_lag');
      expect(lags.length).toBeGreaterThanOrEqual(1);
      expect(lags.every((sample) => sample.labels['topic'] === topic && sample.value >= 0)).toBe(true);
    }
    for (const name of pipeline.processes.keys()) {
      expect(metricsOf(name)('outflow_db_pool_connections', { state: 'max' })).toBeGreaterThan(0);
    }
    const apiMetrics = metricsOf('sequence-api');
    expect(apiMetrics('process_cpu_seconds_total', { service: 'sequence-api' })).toBeGreaterThan(0);

    // Every metric an alert rule names is one some service exports.
    const exported = new Set([...scraped.values()].flat().map((sample) => sample.name));
    const named = new Set(readFileSync(alertRulesPath(), 'utf8').match(/\boutflow_[a-z_]+/g));
    expect([...named].filter((metric) => !exported.has(metric))).toEqual([]);
    expect(named.size).toBeGreaterThanOrEqual(5);
    // And every metric a Grafana panel queries (besides Prometheus' own `up`).
    const panelQueries = dashboardQueries();
    const queried = new Set(panelQueries.flatMap(metricNamesIn));
    expect([...queried].filter((metric) => metric !== 'up' && !exported.has(metric))).toEqual([]);
    expect(queried.size).toBeGreaterThanOrEqual(10);

    // A real Prometheus scrapes all five and answers with the sender's total through its HTTP API.
    const targets = [...pipeline.processes.keys()].map((name) => `127.0.0.1:${healthPortOf(name)}`);
    const prometheus = await startPrometheus({ targets });
    try {
      const query = async (promql: string) => {
        const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
        const body = (await response.json()) as { data: { result: Array<{ value: [number, string] }> } };
        return body.data.result.map((sample) => Number(sample.value[1]));
      };
      await eventually(async () => (await query('up{job="outflow"} == 1')).length === targets.length);
      await eventually(async () => ((await query('outflow_emails_sent_total'))[0] ?? 0) >= sent);
      // Every panel's query is valid PromQL that this Prometheus evaluates ($__rate_interval as Grafana fills it).
      for (const expr of panelQueries) {
        const promql = expr.replaceAll('$__rate_interval', '1m');
        const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
        const body = (await response.json()) as { status: string; error?: string };
        expect({ promql, status: body.status, error: body.error }).toEqual({
          promql,
          status: 'success',
          error: undefined,
        });
      }
    } finally {
      await prometheus.stop();
    }
  });

  it('traces one email from the enrolling request through claim, send, retry and follow-up to the next step, in one trace', async () => {
    const mailboxId = await createMailbox('trace@sender.test');
    const sequenceId = await createSequence([mailboxId], [0, 1]);
    stack.smtp.addFault({
      recipient: 'traced@example.com',
      action: { type: 'reply', code: 451, message: '4.7.1 Greylisted, try again later' },
      times: 1,
    });
    await enroll(sequenceId, ['traced@example.com']);
    const emails = await eventually(async () => {
      const rows = await database.db
        .selectFrom('email_queues')
        .select(['id', 'step_order', 'status'])
        .where('sequence_id', '=', sequenceId)
        .orderBy('step_order')
        .execute();
      return rows.length === 2 && rows.every((row) => row.status === 'sent') ? rows : undefined;
    });
    const [first, second] = emails.map((row) => row.id);
    const smtpSpansOf = (emailId: string | undefined) =>
      traces.spans.filter((span) => span.name === 'smtp send' && span.attributes['outflow.email_id'] === emailId);
    // Spans are exported in batches, every few seconds: wait until the second step's send and its follow-up arrived.
    await eventually(
      async () =>
        smtpSpansOf(second).length === 1 &&
        traces.spans.some(
          (span) => span.service === 'followup-scheduler' && span.traceId === smtpSpansOf(second)[0]!.traceId,
        ),
      30_000,
    );

    // Both attempts of step 1 and the send of step 2 are in one trace.
    const sends = [...smtpSpansOf(first), ...smtpSpansOf(second)];
    expect(sends.map((span) => [span.attributes['outflow.attempt'], span.attributes['smtp.reply_code']])).toEqual([
      [1, 451],
      [2, 250],
      [1, 250],
    ]);
    expect(sends.every((span) => span.attributes['outflow.mailbox_id'] === mailboxId)).toBe(true);
    const traceId = sends[0]!.traceId;
    expect(new Set(sends.map((span) => span.traceId))).toEqual(new Set([traceId]));
    const trace = traces.spans.filter((span) => span.traceId === traceId);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const parentOf = (span: (typeof trace)[number]) => (span.parentSpanId ? byId.get(span.parentSpanId) : undefined);

    // A chain, not scattered spans: one root, the enrollment, and every other span's parent is in the trace.
    const roots = trace.filter((span) => !span.parentSpanId);
    expect(roots.map((span) => [span.service, span.name])).toEqual([['sequence-api', 'enroll']]);
    expect(trace.filter((span) => span.parentSpanId && !byId.has(span.parentSpanId))).toEqual([]);
    // The enrollment links to the request that made it, whose own trace has the HTTP request (a server span) and
    // its PostgreSQL statements: http, express and pg are instrumented.
    const request = traces.spans.find((span) => span.spanId === roots[0]!.links[0]?.spanId);
    const requestTrace = traces.spans.filter((span) => span.traceId === request?.traceId);
    expect(requestTrace.filter((span) => !span.parentSpanId).map((span) => [span.service, span.kind])).toEqual([
      ['sequence-api', 2],
    ]);
    const isQuery = (span: (typeof trace)[number]) =>
      (span.attributes['db.system.name'] ?? span.attributes['db.system']) === 'postgresql';
    expect(requestTrace.some(isQuery)).toBe(true);
    // The consumers trace their own spans, not each statement (OUTFLOW_TRACE_STATEMENTS is off there by default).
    expect(trace.some((span) => span.service === 'smtp-sender' && isQuery(span))).toBe(false);

    // Each send's message came from a producer span of cron-producer (one per claim of the email), which links to
    // the claim span; the claim span links back to the email's trace.
    const published = trace.filter((span) => span.service === 'cron-producer' && span.kind === 4);
    expect(published).toHaveLength(3);
    for (const send of sends) {
      const consumed = parentOf(send)!;
      expect([consumed.service, consumed.kind, consumed.name]).toEqual([
        'smtp-sender',
        5,
        `process ${stack.topicPrefix}email-jobs`,
      ]);
      expect(published).toContain(parentOf(consumed));
    }
    for (const publish of published) {
      const [claimLink] = publish.links;
      const claim = traces.spans.find((span) => span.spanId === claimLink?.spanId)!;
      expect(claim.name).toBe('claim email-jobs');
      expect(claim.links.some((link) => link.traceId === traceId)).toBe(true);
    }
    // The retry: the failure's event consumed by the retry consumer, which rescheduled the email in this trace.
    const retry = trace.filter((span) => span.service === 'retry-consumer' && span.kind === 5);
    expect(retry.map((span) => span.attributes['outflow.retry.outcome'])).toEqual(['rescheduled']);
    expect(parentOf(parentOf(retry[0]!)!)?.service).toBe('smtp-sender');
    // The second attempt's claim continues from the retry: its producer span descends from the retry's span.
    const descendsFrom = (span: (typeof trace)[number] | undefined, ancestor: (typeof trace)[number]): boolean =>
      span !== undefined && (span === ancestor || descendsFrom(parentOf(span), ancestor));
    expect(descendsFrom(parentOf(parentOf(sends[1]!)!), retry[0]!)).toBe(true);
    // The follow-up: step 2's email was scheduled by the scheduler's span for step 1's event.
    const scheduled = trace.filter((span) => span.service === 'followup-scheduler' && span.kind === 5);
    expect(scheduled.some((span) => descendsFrom(sends[2], span))).toBe(true);
  }, 90_000);
});

/** The PromQL of every Prometheus panel of the dashboards in infra/grafana/dashboards. */
function dashboardQueries(): string[] {
  const folder = join(findRepoRoot(), 'infra', 'grafana', 'dashboards');
  return readdirSync(folder)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      const dashboard = JSON.parse(readFileSync(join(folder, file), 'utf8')) as {
        panels: Array<{ datasource: { type: string }; targets: Array<{ expr?: string }> }>;
      };
      return dashboard.panels
        .filter((panel) => panel.datasource.type === 'prometheus')
        .flatMap((panel) => panel.targets.map((target) => target.expr ?? ''));
    });
}

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords or labels. */
function metricNamesIn(expr: string): string[] {
  const keywords = new Set([
    'by',
    'without',
    'on',
    'ignoring',
    'group_left',
    'group_right',
    'bool',
    'and',
    'or',
    'unless',
  ]);
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)]
    .map((match) => match[1]!)
    .filter((name) => !keywords.has(name));
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format read into its samples. */
function parsePrometheusText(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a Prometheus sample: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
      );
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The sum of every sample of `name` whose labels include `labels` (0 when none does). */
function sumOf(samples: readonly Sample[], name: string, labels: Record<string, string>): number {
  return samples
    .filter(
      (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}
