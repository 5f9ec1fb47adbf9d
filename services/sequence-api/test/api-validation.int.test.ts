import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { revokeApiKey, createApiKey } from '@outflow/db';
import { startApiHarness, type ApiHarness } from './api-harness.js';

describe('the API rejects bad input with JSON errors and writes nothing', () => {
  let api: ApiHarness;
  let key: string;
  let mailboxId: string;
  let sequenceId: string;
  const call = (...args: Parameters<ApiHarness['call']>) => api.call(...args);
  const tableCounts = () => api.tableCounts();

  beforeAll(async () => {
    api = await startApiHarness('api-test');
    key = api.key;
    mailboxId = await api.createMailbox();
    const sequence = await call('POST', '/sequences', {
      name: 'Valid',
      mailbox_ids: [mailboxId],
      steps: [{ subject: 'Hi', content: 'Hello', wait_days: 0 }],
    });
    expect(sequence.status).toBe(201);
    expect(sequence.body).toMatchObject({ name: 'Valid', step_count: 1 });
    sequenceId = String(sequence.body['id']);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('answers 401 without a key, with a malformed header and with an unknown or revoked key', async () => {
    expect(await call('GET', '/mailboxes', undefined, null)).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    });
    expect((await call('GET', '/mailboxes', undefined, 'ofk_unknown')).status).toBe(401);
    const response = await fetch(`${api.base}/mailboxes`, { headers: { authorization: `Basic ${key}` } });
    expect(response.status).toBe(401);
    const revoked = await createApiKey(api.database.db, 'short-lived');
    expect((await call('GET', '/mailboxes', undefined, revoked.key)).status).toBe(200);
    expect(await revokeApiKey(api.database.db, revoked.id)).toBe(true);
    expect((await call('GET', '/mailboxes', undefined, revoked.key)).status).toBe(401);
  });

  it('never returns or stores the SMTP password in clear', async () => {
    const { body } = await call('GET', `/mailboxes/${mailboxId}`);
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(body).toMatchObject({
      has_smtp_password: true,
      daily_capacity: 30,
      time_zone: 'UTC',
      today: { sent: 0, remaining: 30 },
    });
    const row = await api.database.db
      .selectFrom('mailboxes')
      .selectAll()
      .where('id', '=', mailboxId)
      .executeTakeFirstOrThrow();
    expect(row.encrypted_smtp_password).not.toContain('hunter2');
    expect(row.smtp_password_key_id).toBe('k1');
  });

  it('rejects bad sequences: empty steps, negative waits, unknown mailboxes, unknown fields, wrong types', async () => {
    const before = await tableCounts();
    const step = { subject: 'S', content: 'C', wait_days: 0 };
    const cases: Array<[unknown, RegExp]> = [
      [{ name: 'x', mailbox_ids: [mailboxId], steps: [] }, /steps/],
      [{ name: 'x', mailbox_ids: [mailboxId], steps: [{ ...step, wait_days: -1 }] }, /steps\.0\.wait_days/],
      [{ name: 'x', mailbox_ids: ['7b1f3c1e-6d1a-4c53-9d7e-1c1f7a0e2b11'], steps: [step] }, /mailbox_ids/],
      [{ name: 'x', mailbox_ids: [mailboxId], steps: [step], colour: 'red' }, /colour|unrecognized/i],
      [{ name: 42, mailbox_ids: [mailboxId], steps: [step] }, /name/],
      [{ name: 'x', mailbox_ids: 'all', steps: [step] }, /mailbox_ids/],
      [
        {
          name: 'x',
          mailbox_ids: [mailboxId],
          steps: [
            { ...step, content: '<mjml><mj-body><mj-bogus>x</mj-bogus></mj-body></mjml>', content_format: 'mjml' },
          ],
        },
        /steps\.0/,
      ],
    ];
    for (const [body, detail] of cases) {
      const response = await call('POST', '/sequences', body);
      expect(response.status).toBe(400);
      expect(response.body.error?.code).toBe('invalid_request');
      expect(JSON.stringify(response.body.error?.details)).toMatch(detail);
    }
    const malformed = await call('POST', '/sequences', '{"name": ');
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    expect(await tableCounts()).toEqual(before);
  });

  it('rejects an enrollment with bad addresses, listing each one, and enrolls nobody', async () => {
    const before = await tableCounts();
    const response = await call('POST', `/sequences/${sequenceId}/contacts`, {
      contacts: [{ email: 'good@example.com' }, { email: 'not-an-email' }, { email: 'also@bad' }],
    });
    expect(response.status).toBe(400);
    expect(response.body.error?.details?.map((detail) => detail['email'])).toEqual(['not-an-email', 'also@bad']);
    expect(await tableCounts()).toEqual(before);
  });

  it('answers 404 for unknown sequences, mailboxes and routes, and 400 for malformed ids', async () => {
    const unknown = '7b1f3c1e-6d1a-4c53-9d7e-1c1f7a0e2b11';
    expect((await call('GET', `/sequences/${unknown}`)).status).toBe(404);
    expect(
      (await call('POST', `/sequences/${unknown}/contacts`, { contacts: [{ email: 'a@example.com' }] })).status,
    ).toBe(404);
    expect((await call('GET', `/mailboxes/${unknown}`)).status).toBe(404);
    expect((await call('GET', '/nothing-here')).body.error?.code).toBe('not_found');
    expect((await call('GET', '/sequences/not-a-uuid')).status).toBe(400);
  });

  it('enrolls a contact once: a second enrollment is skipped with a reason; a paused sequence refuses enrollment', async () => {
    const first = await call('POST', `/sequences/${sequenceId}/contacts`, {
      contacts: [{ email: 'Once@Example.com', first_name: 'O' }],
    });
    expect(first).toMatchObject({ status: 201, body: { contacts_added: 1, skipped: [] } });
    const again = await call('POST', `/sequences/${sequenceId}/contacts`, {
      contacts: [{ email: 'once@example.com' }],
    });
    expect(again.body).toMatchObject({
      contacts_added: 0,
      skipped: [{ email: 'Once@Example.com', reason: 'already enrolled in this sequence' }],
    });
    await call('POST', `/sequences/${sequenceId}/pause`);
    const paused = await call('POST', `/sequences/${sequenceId}/contacts`, {
      contacts: [{ email: 'late@example.com' }],
    });
    expect(paused).toMatchObject({ status: 409, body: { error: { code: 'sequence_not_active' } } });
    await call('POST', `/sequences/${sequenceId}/resume`);
  });

  it('unenrolls: the contact`s unsent emails are cancelled', async () => {
    const enrolled = await call('POST', `/sequences/${sequenceId}/contacts`, {
      contacts: [{ email: 'leaving@example.com' }],
    });
    const { contact_id } = (enrolled.body['enrollments'] as Array<{ contact_id: string }>)[0]!;
    const removed = await call('DELETE', `/sequences/${sequenceId}/contacts/${contact_id}`);
    expect(removed).toMatchObject({ status: 200, body: { status: 'cancelled', cancelled_emails: 1 } });
    const list = await call('GET', `/sequences/${sequenceId}/contacts?limit=10`);
    const leaving = (list.body['contacts'] as Array<Record<string, unknown>>).find(
      (c) => c['email'] === 'leaving@example.com',
    );
    expect(leaving).toMatchObject({ status: 'cancelled', next_send_at: null });
    expect((await call('DELETE', `/sequences/${sequenceId}/contacts/${contact_id}`)).body).toMatchObject({
      cancelled_emails: 0,
    });
  });

  it('answers a repeated create with the same Idempotency-Key and body with the first result, creating once', async () => {
    const before = await tableCounts();
    const body = { name: 'Once only', mailbox_ids: [mailboxId], steps: [{ subject: 'S', content: 'C', wait_days: 0 }] };
    const headers = { 'idempotency-key': 'create-once-1' };
    // A double click: two identical requests at once, then a retry later.
    const [a, b] = await Promise.all([
      call('POST', '/sequences', body, key, headers),
      call('POST', '/sequences', body, key, headers),
    ]);
    const retry = await call('POST', '/sequences', body, key, headers);
    const created = [a, b].filter((response) => response.status === 201 && !response.replayed);
    expect(created).toHaveLength(1);
    for (const other of [a, b].filter((response) => response !== created[0])) {
      expect(other.status === 201 ? other.body : other.body.error?.code).toEqual(
        other.status === 201 ? created[0]!.body : 'request_in_progress',
      );
    }
    expect(retry).toMatchObject({ status: 201, replayed: true, body: created[0]!.body });
    expect((await tableCounts())!['sequences']).toBe(before!['sequences']! + 1);

    const reused = await call('POST', '/sequences', { ...body, name: 'Other' }, key, headers);
    expect(reused).toMatchObject({ status: 422, body: { error: { code: 'idempotency_key_reused' } } });
  });

  it('enrolls once when an enrollment is retried with its Idempotency-Key', async () => {
    const body = { contacts: [{ email: 'retry-safe@example.com' }] };
    const headers = { 'idempotency-key': 'enroll-1' };
    const first = await call('POST', `/sequences/${sequenceId}/contacts`, body, key, headers);
    const again = await call('POST', `/sequences/${sequenceId}/contacts`, body, key, headers);
    expect(first.body['contacts_added']).toBe(1);
    expect(again).toMatchObject({ replayed: true, body: first.body });
  });

  it('frees a key whose request died unanswered, and a key past its lifetime; deletes expired keys as it goes', async () => {
    const body = {
      name: 'After a crash',
      mailbox_ids: [mailboxId],
      steps: [{ subject: 'S', content: 'C', wait_days: 0 }],
    };
    const apiKeyId = (await api.database.db.selectFrom('api_keys').select('id').executeTakeFirstOrThrow()).id;
    const stored = (key: string, minutesAgo: number, answered: boolean) =>
      sql`
        insert into idempotency_keys (api_key_id, key, method, path, request_hash, status_code, response, created_at)
        values (${apiKeyId}, ${key}, 'POST', '/api/v1/sequences', 'another request',
          ${answered ? 201 : null}, ${answered ? '{}' : null}, now() - make_interval(mins => ${minutesAgo}))
      `.execute(api.database.db);
    await stored('running', 1, false); // its process may still be answering it
    await stored('died', 11, false); // its process died before answering
    await stored('expired', 25 * 60, true);
    await stored('expired-other', 25 * 60, true);

    const running = await call('POST', '/sequences', body, key, { 'idempotency-key': 'running' });
    expect(running).toMatchObject({ status: 422, body: { error: { code: 'idempotency_key_reused' } } }); // still taken
    for (const reclaimed of ['died', 'expired']) {
      const response = await call('POST', '/sequences', body, key, { 'idempotency-key': reclaimed });
      expect(response).toMatchObject({ status: 201, replayed: false });
      const replay = await call('POST', '/sequences', body, key, { 'idempotency-key': reclaimed });
      expect(replay).toMatchObject({ status: 201, replayed: true, body: response.body });
    }
    const { rows } = await sql<{ key: string }>`select key from idempotency_keys where key = 'expired-other'`.execute(
      api.database.db,
    );
    expect(rows).toEqual([]);
  });
});
