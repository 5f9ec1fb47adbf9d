import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { sql } from 'kysely';
import { insertEmailEvents } from '@outflow/db';
import { seedFailedEmail } from '@outflow/db/testing';
import { startApiHarness, type ApiHarness } from './api-harness.js';

/**
 * Every operation the document lists is called here, its success and its usual errors; the harness holds each
 * response against the document (status listed, body matching its schema). The last test requires that every
 * operation was seen answering its success.
 */
describe('the OpenAPI document describes every route as it answers', () => {
  let api: ApiHarness;
  let mailboxId: string;
  let sequenceId: string;
  const call = (...args: Parameters<ApiHarness['call']>) => api.call(...args);

  beforeAll(async () => {
    api = await startApiHarness('openapi-test');
    mailboxId = await api.createMailbox();
    const sequence = await call('POST', '/sequences', {
      name: 'Documented',
      mailbox_ids: [mailboxId],
      steps: [
        { subject: 'Hi {{ first_name }}', content: 'Hello', wait_days: 0 },
        { subject: 'Again', content: 'Following up', wait_days: 2 },
      ],
    });
    expect(sequence.status).toBe(201);
    sequenceId = String(sequence.body['id']);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('is a valid OpenAPI 3.1 document, served without a key, with a docs page that loads it', async () => {
    const response = await fetch(`${api.base}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string };
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);

    const page = await fetch(`${api.base}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const scripts = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(scripts).toHaveLength(3);
    for (const asset of scripts) {
      const loaded = await fetch(new URL(asset, api.base));
      expect([asset, loaded.status]).toEqual([asset, 200]);
    }
    const start = await (await fetch(`${api.base}/docs/start.js`)).text();
    expect(start).toContain('"/api/v1/openapi.json"');
  });

  it('holds a response that breaks the document as an error (the check can fail)', () => {
    expect(() => api.conformance.check('GET', '/emails', 200, { emails: 'none', next_cursor: null })).toThrow(
      /does not match the document/,
    );
    expect(() => api.conformance.check('GET', '/emails', 418, {})).toThrow(/does not list/);
    expect(() => api.conformance.check('PUT', '/emails', 200, {})).toThrow(/undocumented/);
  });

  it('mailboxes: create, list, get, change, and their errors', async () => {
    expect((await call('GET', '/mailboxes')).status).toBe(200);
    expect((await call('GET', `/mailboxes/${mailboxId}`)).status).toBe(200);
    expect((await call('PATCH', `/mailboxes/${mailboxId}`, { daily_capacity: 40 })).body).toMatchObject({
      daily_capacity: 40,
    });
    expect((await call('GET', `/mailboxes/${randomUUID()}`)).status).toBe(404);
    expect((await call('PATCH', `/mailboxes/${randomUUID()}`, { daily_capacity: 1 })).status).toBe(404);
    expect((await call('POST', '/mailboxes', { email: 'nope' })).status).toBe(400);
    expect((await call('GET', '/mailboxes', undefined, null)).status).toBe(401);
  });

  it('mailboxes: pacing and a warm-up ramp, and today’s capacity on the ramp', async () => {
    const created = await call('POST', '/mailboxes', {
      email: 'ramp@outflow.test',
      smtp_host: '127.0.0.1',
      smtp_port: 2525,
      daily_capacity: 40,
      min_gap_seconds: 90,
      gap_jitter_seconds: 30,
      warmup: { start_capacity: 5, daily_increase: 5 },
    });
    expect(created.status).toBe(201);
    const path = `/mailboxes/${String(created.body['id'])}`;
    const today = ((await call('GET', path)).body['today'] as { day: string }).day;
    expect((await call('GET', path)).body).toMatchObject({
      min_gap_seconds: 90,
      gap_jitter_seconds: 30,
      warmup: { start_capacity: 5, daily_increase: 5, started_on: today },
      today: { capacity: 5, sent: 0, reserved: 0, remaining: 5, next_send_at: null },
    });
    // Started three days ago: 5 + 3 × 5 = 20 today.
    const started = new Date(Date.parse(`${today}T00:00:00Z`) - 3 * 86_400_000).toISOString().slice(0, 10);
    const ramped = await call('PATCH', path, { warmup: { start_capacity: 5, daily_increase: 5, started_on: started } });
    expect(ramped.body).toMatchObject({ today: { capacity: 20, remaining: 20 } });
    expect((await call('GET', '/mailboxes')).body['mailboxes']).toContainEqual(
      expect.objectContaining({ warmup: { start_capacity: 5, daily_increase: 5, started_on: started } }),
    );
    expect((await call('PATCH', path, { warmup: null, min_gap_seconds: 0 })).body).toMatchObject({
      warmup: null,
      min_gap_seconds: 0,
      today: { capacity: 40 },
    });
    for (const body of [
      { min_gap_seconds: -1 },
      { gap_jitter_seconds: 86_401 },
      { warmup: { start_capacity: 5, daily_increase: 0 } },
      { warmup: { start_capacity: 5, daily_increase: 1, started_on: 'tomorrow' } },
      { warmup: { start_capacity: 5 } },
    ]) {
      expect([JSON.stringify(body), (await call('PATCH', path, body)).status]).toEqual([JSON.stringify(body), 400]);
    }
  });

  it('sequences: list with a status filter and cursor pages, get, pause and resume', async () => {
    const second = await call('POST', '/sequences', {
      name: 'Second',
      mailbox_ids: [mailboxId],
      steps: [{ subject: 'Hi', content: 'Hello', wait_days: 0 }],
    });
    expect(second.status).toBe(201);
    expect((await call('POST', `/sequences/${String(second.body['id'])}/pause`)).body).toMatchObject({
      status: 'paused',
    });

    const firstPage = await call('GET', '/sequences?limit=1');
    expect(firstPage.body).toMatchObject({ sequences: [{ id: sequenceId, step_count: 2 }] });
    const cursor = String(firstPage.body['next_cursor']);
    const secondPage = await call('GET', `/sequences?limit=1&cursor=${cursor}`);
    expect(secondPage.body).toMatchObject({ sequences: [{ name: 'Second', status: 'paused' }], next_cursor: null });
    expect((await call('GET', '/sequences?status=paused')).body['sequences']).toEqual([
      expect.objectContaining({ name: 'Second' }),
    ]);
    expect((await call('GET', '/sequences?status=active')).body['sequences']).toEqual([
      expect.objectContaining({ name: 'Documented' }),
    ]);
    expect((await call('GET', '/sequences?status=gone')).status).toBe(400);

    expect((await call('POST', `/sequences/${String(second.body['id'])}/resume`)).body).toMatchObject({
      status: 'active',
    });
    expect((await call('GET', `/sequences/${randomUUID()}`)).status).toBe(404);
    expect((await call('POST', `/sequences/${randomUUID()}/pause`)).status).toBe(404);
    expect((await call('GET', '/sequences/not-a-uuid')).status).toBe(400);
  });

  it('enrollments: enroll (and replay by Idempotency-Key), list, unenroll', async () => {
    const body = { contacts: [{ email: 'ada@example.com', first_name: 'Ada' }, { email: 'bob@example.com' }] };
    const headers = { 'idempotency-key': randomUUID() };
    const enrolled = await call('POST', `/sequences/${sequenceId}/contacts`, body, undefined, headers);
    expect(enrolled).toMatchObject({ status: 201, body: { contacts_added: 2 } });
    expect(await call('POST', `/sequences/${sequenceId}/contacts`, body, undefined, headers)).toMatchObject({
      status: 201,
      replayed: true,
    });
    expect((await call('POST', `/sequences/${sequenceId}/contacts`, { contacts: [] }, undefined, headers)).status).toBe(
      422,
    );
    const listed = await call('GET', `/sequences/${sequenceId}/contacts`);
    expect(listed.body['contacts']).toHaveLength(2);
    const bob = (listed.body['contacts'] as Array<{ email: string; contact_id: string }>).find(
      (contact) => contact.email === 'bob@example.com',
    )!;
    expect((await call('DELETE', `/sequences/${sequenceId}/contacts/${bob.contact_id}`)).body).toEqual({
      status: 'cancelled',
      cancelled_emails: 1,
    });
    expect((await call('DELETE', `/sequences/${sequenceId}/contacts/${randomUUID()}`)).status).toBe(404);
    expect((await call('GET', `/sequences/${randomUUID()}/contacts`)).status).toBe(404);
  });

  it('emails: one status vocabulary in filters, counts and delivery_status', async () => {
    const failed = await seedFailedEmail(api.database.db);
    const failedList = await call('GET', '/emails?status=failed');
    expect(failedList.body['emails']).toEqual([
      expect.objectContaining({ id: failed.email.id, status: 'permanent_failure', delivery_status: 'failed' }),
    ]);
    // The internal name of the same state is taken too.
    expect((await call('GET', '/emails?status=permanent_failure')).body['emails']).toEqual(failedList.body['emails']);
    const queued = await call('GET', `/emails?status=queued&sequence_id=${sequenceId}`);
    expect((queued.body['emails'] as Array<{ recipient: string }>).map((email) => email.recipient)).toEqual([
      'ada@example.com',
    ]);
    expect((await call('GET', `/emails?status=cancelled&sequence_id=${sequenceId}`)).body['emails']).toHaveLength(1);
    expect((await call('GET', '/emails?status=lost')).status).toBe(400);

    const detail = await call('GET', `/sequences/${sequenceId}`);
    expect(detail.body['counts']).toEqual({
      enrollments: { total: 2, active: 1, completed: 0, bounced: 0, unsubscribed: 0, cancelled: 1, replied: 0 },
      emails: {
        queued: 1,
        retrying: 0,
        in_progress: 0,
        sent: 0,
        failed: 0,
        uncertain: 0,
        cancelled: 1,
        dead_letter: 0,
      },
    });
    const email = await call('GET', `/emails/${failed.email.id}`);
    expect(email.body).toMatchObject({ delivery_status: 'failed', last_error: { code: '550' } });
    expect((await call('GET', `/emails/${randomUUID()}`)).status).toBe(404);
  });

  it('stats: the queue by delivery status, the last hour with send times, mailbox usage', async () => {
    const listed = await call('GET', `/emails?status=queued&sequence_id=${sequenceId}`);
    const queued = (listed.body['emails'] as Array<{ id: string; contact_id: string; mailbox_id: string }>)[0]!;
    // Sends as the sender records them (with their SMTP time), the one way a 'sent' event is written.
    await insertEmailEvents(
      api.database.db,
      [10, 20, 30, 40, 1_000].map((smtpMs, index) => ({
        emailId: queued.id,
        sequenceId,
        contactId: queued.contact_id,
        mailboxId: queued.mailbox_id,
        type: 'sent' as const,
        eventKey: `sent:${queued.id}:${index}`,
        metadata: { smtp_response: '250 OK', message_id: `<${index}@outflow.test>`, smtp_ms: smtpMs },
      })),
    );
    const stats = await call('GET', '/stats');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({
      queue: { queued: 1, retrying: 0, in_progress: 0, uncertain: 0, dead_letter: 0 },
      last_hour: { sent: 5, send_ms: { p50: 30 } },
    });
    const p95 = (stats.body['last_hour'] as { send_ms: { p95: number } }).send_ms.p95;
    expect(p95).toBeGreaterThan(40);
    expect(p95).toBeLessThanOrEqual(1_000);
    expect(stats.body['mailboxes']).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: mailboxId, capacity: 40, sent: 0 })]),
    );
  });

  it('sequences: edit as a new version, list and get versions, move enrollments, archive, delete', async () => {
    const created = await call('POST', '/sequences', {
      name: 'Lifecycle',
      mailbox_ids: [mailboxId],
      steps: [{ subject: 'One', content: 'First', wait_days: 0 }],
    });
    const base = `/sequences/${String(created.body['id'])}`;
    await call('POST', `${base}/contacts`, { contacts: [{ email: 'life@example.com' }] });

    const edited = await call('PATCH', base, { steps: [{ subject: 'Two {{ nope', content: 'x', wait_days: 0 }] });
    expect(edited).toMatchObject({ status: 400, body: { error: { message: 'a step does not render' } } });
    expect((await call('PATCH', base, {})).status).toBe(400);
    expect((await call('PATCH', `/sequences/${randomUUID()}`, { name: 'x' })).status).toBe(404);
    expect((await call('PATCH', base, { name: 'Lifecycle, renamed' })).body).toMatchObject({
      version: 2,
      name: 'Lifecycle, renamed',
      steps: [{ subject: 'One', step_order: 1 }],
    });
    expect((await call('GET', `${base}/versions`)).body).toMatchObject({
      current_version: 2,
      versions: [
        { version: 2, step_count: 1, enrollments: { active: 0, total: 0 } },
        { version: 1, name: 'Lifecycle', step_count: 1, enrollments: { active: 1, total: 1 } },
      ],
    });
    expect((await call('GET', `${base}/versions/1`)).body).toMatchObject({ version: 1, steps: [{ subject: 'One' }] });
    expect((await call('GET', `${base}/versions/3`)).status).toBe(404);
    expect((await call('POST', `${base}/move-enrollments`)).body).toEqual({ moved: 1, to_version: 2 });
    expect((await call('POST', `${base}/move-enrollments`, { to_version: 1, from_version: 2 })).body).toEqual({
      moved: 1,
      to_version: 1,
    });

    // In flight: archiving asks to cancel, deleting is refused; nothing changes.
    const refused = await call('POST', `${base}/archive`);
    expect(refused).toMatchObject({
      status: 409,
      body: { error: { code: 'sequence_in_flight', details: { active_enrollments: 1, unsent_emails: 1 } } },
    });
    expect((await call('DELETE', base)).status).toBe(409);
    expect((await call('GET', base)).body).toMatchObject({ status: 'active' });

    expect((await call('POST', `${base}/archive`, { cancel_in_flight: true })).body).toEqual({
      id: created.body['id'],
      status: 'archived',
      cancelled_enrollments: 1,
      cancelled_emails: 1,
    });
    expect((await call('GET', '/sequences?status=archived')).body['sequences']).toEqual([
      expect.objectContaining({ name: 'Lifecycle, renamed', version: 2 }),
    ]);
    expect((await call('POST', `${base}/contacts`, { contacts: [{ email: 'late@example.com' }] })).body).toMatchObject({
      error: { code: 'sequence_not_active' },
    });
    expect((await call('DELETE', base)).body).toEqual({ id: created.body['id'], deleted: true });
    expect((await call('GET', `${base}/versions`)).status).toBe(404);
    expect((await call('POST', `/sequences/${randomUUID()}/archive`)).status).toBe(404);
    expect((await call('DELETE', `/sequences/${randomUUID()}`)).status).toBe(404);
  });

  it('contacts: list and search, get with enrollments and emails, update, erase', async () => {
    const enrolled = await call(
      'POST',
      `/sequences/${sequenceId}/contacts`,
      {
        contacts: [
          { email: 'Erin.Erase@example.com', first_name: 'Erin', company: 'Acme 100%' },
          { email: 'frank@example.com', first_name: 'Frank', company: 'Globex' },
        ],
      },
      undefined,
      { 'idempotency-key': randomUUID() },
    );
    expect(enrolled.status).toBe(201);
    const erin = (enrolled.body['enrollments'] as Array<{ email: string; contact_id: string }>).find(
      (enrollment) => enrollment.email === 'Erin.Erase@example.com',
    )!;

    const search = async (q: string) =>
      ((await call('GET', `/contacts?q=${encodeURIComponent(q)}`)).body['contacts'] as Array<{ email: string }>).map(
        (contact) => contact.email,
      );
    expect(await search('erin.e')).toEqual(['Erin.Erase@example.com']);
    expect(await search('GLOB')).toEqual(['frank@example.com']);
    expect(await search('100%')).toEqual(['Erin.Erase@example.com']);
    expect(await search('1%')).toEqual([]);
    const firstPage = await call('GET', '/contacts?limit=1');
    expect(firstPage.body['next_cursor']).toEqual(expect.any(String));
    expect((await call('GET', '/contacts?status=active&q=frank')).body['contacts']).toEqual([
      expect.objectContaining({ email: 'frank@example.com', status: 'active' }),
    ]);
    expect((await call('GET', '/contacts?status=unsubscribed')).body['contacts']).toEqual([]);

    const detail = await call('GET', `/contacts/${erin.contact_id}`);
    expect(detail.body).toMatchObject({
      email: 'Erin.Erase@example.com',
      enrollments: [{ sequence_id: sequenceId, sequence_version: 1, status: 'active', current_step: 0 }],
      recent_emails: [{ step_order: 1, delivery_status: 'queued' }],
    });
    expect(
      (await call('PATCH', `/contacts/${erin.contact_id}`, { last_name: 'Erase', fields: { plan: 'pro' } })).body,
    ).toMatchObject({ first_name: 'Erin', last_name: 'Erase', fields: { plan: 'pro' } });
    expect((await call('PATCH', `/contacts/${erin.contact_id}`, { email: 'other@example.com' })).status).toBe(400);
    expect((await call('GET', `/contacts/${randomUUID()}`)).status).toBe(404);

    // Her first email claimed (capacity reserved) and an earlier send recorded, as the pipeline leaves them.
    const { db } = api.database;
    const email = await db
      .selectFrom('email_queues')
      .innerJoin('sequence_contacts', 'sequence_contacts.id', 'email_queues.sequence_contact_id')
      .select('email_queues.id')
      .where('sequence_contacts.contact_id', '=', erin.contact_id)
      .executeTakeFirstOrThrow();
    await sql`
      update email_queues set status = 'queued', claim_token = gen_random_uuid(), claimed_at = now(),
        capacity_day = current_date where id = ${email.id}
    `.execute(db);
    await sql`
      insert into mailbox_daily_counts (mailbox_id, day, reserved_count) values (${mailboxId}, current_date, 1)
        on conflict (mailbox_id, day) do update set reserved_count = mailbox_daily_counts.reserved_count + 1;
    `.execute(db);
    await insertEmailEvents(db, [
      {
        emailId: email.id,
        sequenceId,
        contactId: erin.contact_id,
        mailboxId,
        type: 'failed',
        eventKey: `failed:${email.id}`,
        metadata: { error_code: '451', error_message: '451 <Erin.Erase@example.com> greylisted', smtp_ms: 9 },
      },
    ]);
    const reserved = async () =>
      (
        await db
          .selectFrom('mailbox_daily_counts')
          .select('reserved_count')
          .where('mailbox_id', '=', mailboxId)
          .executeTakeFirstOrThrow()
      ).reserved_count;
    const reservedBefore = await reserved();
    // Her reply, as the inbox reader recorded it.
    await db
      .insertInto('inbound_messages')
      .values({
        workspace_id: (
          await db.selectFrom('mailboxes').select('workspace_id').where('id', '=', mailboxId).executeTakeFirstOrThrow()
        ).workspace_id,
        mailbox_id: mailboxId,
        uidvalidity: '1',
        uid: '1',
        kind: 'reply',
        from_address: 'Erin.Erase@example.com',
        subject: 'Re: from Erin',
      })
      .execute();

    expect((await call('DELETE', `/contacts/${erin.contact_id}`)).body).toEqual({
      id: erin.contact_id,
      erased: true,
      cancelled_emails: 1,
      events_kept: 1,
      inbound_messages_deleted: 1,
    });
    expect(await reserved()).toBe(reservedBefore - 1);
    expect((await call('GET', `/contacts/${erin.contact_id}`)).status).toBe(404);
    // Nothing in the database names her any more; the event stays, anonymous, in the workspace's counts.
    const { rows } = await sql<{ found: boolean }>`
      select exists (select from contacts where lower(email) = 'erin.erase@example.com')
        or exists (select from email_events where metadata::text ilike '%erin%')
        or exists (select from idempotency_keys where response::text ilike '%erin%')
        or exists (select from inbound_messages where from_address ilike '%erin%')
        or exists (select from email_queues where id = ${email.id}) as found
    `.execute(db);
    expect(rows[0]!.found).toBe(false);
    const event = await db
      .selectFrom('email_events')
      .select(['email_queue_id', 'contact_id', 'workspace_id', 'metadata'])
      .where('event_key', '=', `failed:${email.id}`)
      .executeTakeFirstOrThrow();
    expect(event).toEqual({
      email_queue_id: null,
      contact_id: null,
      workspace_id: expect.any(String),
      metadata: { error_code: '451', smtp_ms: 9 },
    });
    expect((await call('GET', '/stats')).body['last_hour']).toMatchObject({ failed_attempts: 1 });
    expect((await call('DELETE', `/contacts/${erin.contact_id}`)).status).toBe(404);
  });

  it('mailboxes: disable (reassign, or cancel where none is left) and delete', async () => {
    const createMailbox = async (email: string) =>
      String(
        (
          await call('POST', '/mailboxes', {
            email,
            smtp_host: '192.0.2.25',
            smtp_port: 587,
            smtp_username: email,
            smtp_password: 'secret',
          })
        ).body['id'],
      );
    const only = await createMailbox('only@outflow.test');
    const sequence = await call('POST', '/sequences', {
      name: 'One sender',
      mailbox_ids: [only],
      steps: [{ subject: 'Hi', content: 'Hello', wait_days: 0 }],
    });
    const base = `/sequences/${String(sequence.body['id'])}`;
    await call('POST', `${base}/contacts`, { contacts: [{ email: 'x1@example.com' }, { email: 'x2@example.com' }] });

    // No other mailbox for the sequence: its enrollments and their emails are cancelled.
    expect((await call('POST', `/mailboxes/${only}/disable`)).body).toEqual({
      id: only,
      status: 'disabled',
      reassigned_enrollments: 0,
      cancelled_enrollments: 2,
      cancelled_emails: 2,
    });
    expect((await call('GET', `/mailboxes/${only}`)).body).toMatchObject({ status: 'disabled' });
    expect((await call('POST', `${base}/contacts`, { contacts: [{ email: 'x3@example.com' }] })).body).toMatchObject({
      error: { code: 'no_active_mailbox' },
    });

    // It has history: kept as a name, credentials erased, unlisted; its address is free again.
    expect((await call('DELETE', `/mailboxes/${only}`)).body).toEqual({
      id: only,
      deleted: true,
      kept_as_history: true,
    });
    const row = await api.database.db
      .selectFrom('mailboxes')
      .select(['encrypted_smtp_password', 'smtp_username', 'deleted_at'])
      .where('id', '=', only)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ encrypted_smtp_password: null, smtp_username: null, deleted_at: expect.any(Date) });
    expect((await call('GET', `/mailboxes/${only}`)).status).toBe(404);
    expect((await call('PATCH', `/mailboxes/${only}`, { status: 'active' })).status).toBe(404);
    const listed = (await call('GET', '/mailboxes')).body['mailboxes'] as Array<{ id: string }>;
    expect(listed.map((mailbox) => mailbox.id)).not.toContain(only);
    const again = await createMailbox('only@outflow.test');
    expect(again).not.toBe(only);

    // An active one, or one with an uncertain email, is refused; reassign: false cancels even with another left.
    expect((await call('DELETE', `/mailboxes/${again}`)).body).toMatchObject({ error: { code: 'mailbox_in_use' } });
    const second = await call('POST', '/sequences', {
      name: 'Two senders',
      mailbox_ids: [again, mailboxId],
      steps: [{ subject: 'Hi', content: 'Hello', wait_days: 0 }],
    });
    await call('POST', `/sequences/${String(second.body['id'])}/contacts`, { contacts: [{ email: 'y1@example.com' }] });
    expect((await call('POST', `/mailboxes/${again}/disable`, { reassign: false })).body).toMatchObject({
      reassigned_enrollments: 0,
      cancelled_enrollments: 1,
    });
    await api.database.db
      .updateTable('email_queues')
      .set({ status: 'uncertain' })
      .where('mailbox_id', '=', again)
      .execute();
    expect((await call('DELETE', `/mailboxes/${again}`)).body).toMatchObject({
      error: { code: 'mailbox_in_use', details: { emails: 1 } },
    });
    expect((await call('POST', `/mailboxes/${randomUUID()}/disable`)).status).toBe(404);
    expect((await call('DELETE', `/mailboxes/${randomUUID()}`)).status).toBe(404);

    // Never used: deleted outright.
    const unused = await createMailbox('unused@outflow.test');
    await call('POST', `/mailboxes/${unused}/disable`);
    expect((await call('DELETE', `/mailboxes/${unused}`)).body).toEqual({
      id: unused,
      deleted: true,
      kept_as_history: false,
    });
  });

  it('suppressions: suppress (stopping the contact), list, skip at enrollment, lift', async () => {
    const enrolled = await call('POST', `/sequences/${sequenceId}/contacts`, {
      contacts: [{ email: 'Stop.Me@example.com' }],
    });
    const contactId = (enrolled.body['enrollments'] as Array<{ contact_id: string }>)[0]!.contact_id;

    const suppressed = await call('POST', '/suppressions', { email: 'stop.me@EXAMPLE.com', reason: 'unsubscribed' });
    expect(suppressed).toMatchObject({
      status: 201,
      body: {
        suppression: { email: 'stop.me@EXAMPLE.com', reason: 'unsubscribed' },
        created: true,
        stopped_enrollments: 1,
        cancelled_emails: 1,
      },
    });
    expect((await call('GET', `/contacts/${contactId}`)).body).toMatchObject({
      status: 'unsubscribed',
      enrollments: [{ status: 'unsubscribed' }],
      recent_emails: [{ delivery_status: 'cancelled' }],
    });
    // Suppressed already: the first reason stays.
    expect(await call('POST', '/suppressions', { email: 'STOP.ME@example.com', reason: 'bounced' })).toMatchObject({
      status: 200,
      body: { created: false, suppression: { reason: 'unsubscribed' }, stopped_enrollments: 0 },
    });
    await call('POST', '/suppressions', { email: 'other@example.org', note: 'asked by phone' });
    expect((await call('GET', '/suppressions?q=stop')).body['suppressions']).toEqual([
      expect.objectContaining({ email: 'stop.me@EXAMPLE.com' }),
    ]);
    expect((await call('GET', '/suppressions?reason=manual')).body['suppressions']).toEqual([
      expect.objectContaining({ email: 'other@example.org', note: 'asked by phone' }),
    ]);
    expect((await call('POST', '/suppressions', { email: 'not an address' })).status).toBe(400);

    // Never enrolled while suppressed, in any sequence.
    const again = await call('POST', `/sequences/${sequenceId}/contacts`, {
      contacts: [{ email: 'other@example.org' }, { email: 'fresh@example.org' }],
    });
    expect(again.body).toMatchObject({
      contacts_added: 1,
      skipped: [{ email: 'other@example.org', reason: 'suppressed (manual)' }],
    });

    expect((await call('DELETE', '/suppressions/Stop.Me%40example.com')).body).toEqual({
      email: 'Stop.Me@example.com',
      lifted: true,
    });
    expect((await call('GET', `/contacts/${contactId}`)).body).toMatchObject({ status: 'active' });
    expect((await call('DELETE', '/suppressions/stop.me%40example.com')).status).toBe(404);
  });

  it('mailbox IMAP settings: set, keep the password, read with progress, delete; a sequence says what a reply stops', async () => {
    const path = `/mailboxes/${mailboxId}/imap`;
    const saved = await call('PUT', path, { host: '127.0.0.1', port: 993, username: 'reader', password: 'secret' });
    expect(saved).toMatchObject({
      status: 200,
      body: { mailbox_id: mailboxId, tls: true, has_password: true, sent_folder: null, reader: { last_uid: null } },
    });
    expect(JSON.stringify(saved.body)).not.toContain('secret');
    // Changed without a password: the stored one stays.
    expect(
      (
        await call('PUT', path, {
          host: '127.0.0.1',
          port: 143,
          tls: false,
          username: 'reader',
          sent_folder: 'Sent Items',
        })
      ).body,
    ).toMatchObject({ port: 143, has_password: true, sent_folder: 'Sent Items' });
    expect((await call('GET', path)).body).toMatchObject({ port: 143, reader: { last_error: null } });
    expect((await call('PUT', path, { host: '127.0.0.1', port: 993 })).status).toBe(400);
    expect((await call('PUT', `/mailboxes/${randomUUID()}/imap`, { host: 'h', username: 'u' })).status).toBe(404);
    expect((await call('DELETE', path)).body).toEqual({ mailbox_id: mailboxId, deleted: true });
    expect((await call('GET', path)).status).toBe(404);
    expect((await call('DELETE', path)).status).toBe(404);

    const before = (await call('GET', `/sequences/${sequenceId}`)).body as { version: number; reply_stops: string };
    expect(before.reply_stops).toBe('workspace');
    const changed = await call('PATCH', `/sequences/${sequenceId}`, { reply_stops: 'sequence' });
    // A setting of the sequence, not of its content: no new version.
    expect(changed.body).toMatchObject({ reply_stops: 'sequence', version: before.version });
  });

  it('sequences: a send window and waits in business days, in the recipients’ time zone; contacts have their own', async () => {
    const created = await call('POST', '/sequences', {
      name: 'Office hours',
      mailbox_ids: [mailboxId],
      time_zone: 'America/New_York',
      send_window: { days: [5, 1, 2, 3, 4], from: '09:00', to: '17:30' },
      wait_unit: 'business',
      steps: [{ subject: 'Hi', content: 'Hello', wait_days: 0 }],
    });
    expect(created.status).toBe(201);
    const path = `/sequences/${String(created.body['id'])}`;
    expect((await call('GET', path)).body).toMatchObject({
      time_zone: 'America/New_York',
      send_window: { days: [1, 2, 3, 4, 5], from: '09:00', to: '17:30' },
      wait_unit: 'business',
    });
    const version = ((await call('GET', path)).body as { version: number }).version;
    // Settings of the sequence: no new version.
    expect((await call('PATCH', path, { send_window: null, time_zone: 'Asia/Kolkata' })).body).toMatchObject({
      send_window: null,
      time_zone: 'Asia/Kolkata',
      version,
    });
    for (const body of [
      { send_window: { days: [1], from: '18:00', to: '09:00' } },
      { send_window: { days: [8], from: '09:00', to: '17:00' } },
      { send_window: { days: [1], from: '9am', to: '17:00' } },
      { time_zone: 'Mars/Olympus_Mons' },
      { wait_unit: 'fortnights' },
    ]) {
      expect([JSON.stringify(body), (await call('PATCH', path, body)).status]).toEqual([JSON.stringify(body), 400]);
    }

    const enrolled = await call('POST', `${path}/contacts`, {
      contacts: [{ email: 'zoned@example.com', time_zone: 'Australia/Adelaide' }],
    });
    const contactId = (enrolled.body['enrollments'] as Array<{ contact_id: string }>)[0]!.contact_id;
    expect((await call('GET', `/contacts/${contactId}`)).body).toMatchObject({ time_zone: 'Australia/Adelaide' });
    expect((await call('PATCH', `/contacts/${contactId}`, { time_zone: null })).body).toMatchObject({
      time_zone: null,
    });
    expect((await call('PATCH', `/contacts/${contactId}`, { time_zone: 'Nowhere/Land' })).status).toBe(400);
  });

  it('forecast: a sequence’s waiting emails through capacity and pacing, and each step of an enrollment', async () => {
    const mailbox = await call('POST', '/mailboxes', {
      email: 'forecast@outflow.test',
      smtp_host: '127.0.0.1',
      smtp_port: 2525,
      daily_capacity: 2,
      min_gap_seconds: 1,
    });
    const sequence = await call('POST', '/sequences', {
      name: 'Forecast',
      mailbox_ids: [String(mailbox.body['id'])],
      steps: [
        { subject: 'Hi', content: 'Hello', wait_days: 0 },
        { content: 'Again', wait_days: 2 },
      ],
    });
    const path = `/sequences/${String(sequence.body['id'])}`;
    const enrolled = await call('POST', `${path}/contacts`, {
      contacts: ['f1@example.com', 'f2@example.com', 'f3@example.com'].map((email) => ({ email })),
    });
    const contactIds = (enrolled.body['enrollments'] as Array<{ contact_id: string }>).map((e) => e.contact_id);

    const forecast = (await call('GET', `${path}/forecast?limit=10`)).body as {
      generated_at: string;
      scheduled: number;
      expected: number;
      emails: Array<{ contact_id: string; expected_at: string; held_by: string }>;
    };
    expect(forecast).toMatchObject({ scheduled: 3, expected: 3, horizon_days: 30 });
    const now = Date.parse(forecast.generated_at);
    const nextMidnight = Math.floor(now / 86_400_000) * 86_400_000 + 86_400_000;
    // Two today, one second apart (the gap); the third on the next day (the capacity).
    expect(forecast.emails.map((email) => [Date.parse(email.expected_at), email.held_by])).toEqual([
      [now, 'schedule'],
      [now + 1_000, 'pacing'],
      [nextMidnight, 'capacity'],
    ]);
    const last = forecast.emails[2]!.contact_id;
    const steps = (await call('GET', `${path}/contacts/${last}/forecast`)).body['steps'];
    expect(steps).toEqual([
      expect.objectContaining({ step_order: 1, status: 'scheduled', held_by: 'capacity' }),
      {
        step_order: 2,
        email_id: null,
        status: 'not_scheduled',
        scheduled_for: null,
        expected_at: new Date(nextMidnight + 2 * 86_400_000).toISOString(),
        held_by: 'schedule',
      },
    ]);
    expect(contactIds).toContain(last);
    expect((await call('GET', `${path}/forecast?limit=0`)).status).toBe(400);
    expect((await call('GET', `/sequences/${randomUUID()}/forecast`)).status).toBe(404);
    expect((await call('GET', `${path}/contacts/${randomUUID()}/forecast`)).status).toBe(404);

    // A window open only on today's weekday (UTC): the email the full day pushes to tomorrow waits a week.
    const today = new Date(forecast.generated_at);
    const windowed = await call('POST', '/sequences', {
      name: 'Forecast in a window',
      mailbox_ids: [String(mailbox.body['id'])],
      send_window: { days: [((today.getUTCDay() + 6) % 7) + 1], from: '00:00', to: '23:59' },
      steps: [{ subject: 'Hi', content: 'Hello', wait_days: 0 }],
    });
    const windowedPath = `/sequences/${String(windowed.body['id'])}`;
    await call('POST', `${windowedPath}/contacts`, { contacts: [{ email: 'w1@example.com' }] });
    const held = (await call('GET', `${windowedPath}/forecast`)).body as typeof forecast;
    expect(held.emails.map((email) => [Date.parse(email.expected_at), email.held_by])).toEqual([
      [nextMidnight + 6 * 86_400_000, 'window'],
    ]);

    // A paused mailbox sends nothing: its waiting emails are counted, not expected.
    const mailboxPath = `/mailboxes/${String(mailbox.body['id'])}`;
    await call('PATCH', mailboxPath, { status: 'paused' });
    const paused = (await call('GET', `${path}/forecast`)).body as typeof forecast;
    expect(paused).toMatchObject({ expected: 0, not_expected: { mailbox_inactive: 3, beyond_horizon: 0 } });
    expect(paused.emails.map((email) => [email.expected_at, email.held_by])).toEqual(
      Array(3).fill([null, 'mailbox_inactive']),
    );
    await call('PATCH', mailboxPath, { status: 'active' });

    await call('POST', `${path}/pause`);
    expect((await call('GET', `${path}/forecast`)).body).toMatchObject({
      expected: 0,
      not_expected: { sequence_paused: 3 },
      emails: [],
    });
    expect((await call('GET', `${path}/contacts/${last}/forecast`)).body['steps']).toMatchObject([
      { held_by: 'sequence_paused' },
      { held_by: 'sequence_paused' },
    ]);
  });

  it('saw every documented operation answer its success', () => {
    const successes = api.conformance.operationNames.filter(
      (name) => ![...api.conformance.seen].some((seen) => seen.startsWith(`${name} 2`)),
    );
    expect(successes).toEqual([]);
  });
});
