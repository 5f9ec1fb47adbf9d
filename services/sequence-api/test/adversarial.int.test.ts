import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApiKey } from '@outflow/db';
import { startApiHarness, type ApiHarness } from './api-harness.js';

/**
 * What a hostile user with a write key tries, each reproduced against the real API and database before it was
 * fixed. Timings bound only catastrophic cases: the merge-field pattern this replaced took 204 s for one step.
 */
describe('the API against a hostile user', () => {
  let api: ApiHarness;
  let mailboxId: string;

  const sequenceWith = (step: Record<string, unknown>) => ({
    name: 'hostile',
    mailbox_ids: [mailboxId],
    steps: [{ subject: 'Hi', content: 'Hello', wait_days: 0, ...step }],
  });

  beforeAll(async () => {
    api = await startApiHarness('adversarial-test', { mode: 'production' });
    mailboxId = await api.createMailbox();
  });

  afterAll(async () => {
    await api?.close();
  });

  it('saves a step written to backtrack in well under a second, and serves other requests meanwhile', async () => {
    const started = performance.now();
    const [saved, listed] = await Promise.all([
      api.call('POST', '/sequences', sequenceWith({ content: `{{a|${' '.repeat(8_000)}}}` })),
      api.call('GET', '/mailboxes'),
    ]);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(listed.status).toBe(200);
    expect(saved.status).toBe(201); // LiquidJS reads `a|` and spaces as `a` with no filter: harmless, and fast
    const unclosed = await api.call('POST', '/sequences', sequenceWith({ content: `{{a|${' '.repeat(400_000)}` }));
    expect(unclosed.status).toBe(400);
    expect(JSON.stringify(unclosed.body.error?.details)).toMatch(/not closed/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it.each([
    [
      'a loop',
      { content: '{% for i in (1..100000000) %}x{% endfor %}' },
      'steps.0.content',
      /tag "for" is not allowed/,
    ],
    ['a file include', { content: '{% include "/etc/passwd" %}' }, 'steps.0.content', /tag "include" is not allowed/],
    ['the old fallback form', { subject: 'Hi {{ first_name | there }}' }, 'steps.0.subject', /default: "there"/],
    ['too many merge fields', { content: '{{ a }}'.repeat(1_001) }, 'steps.0.content', /at most 1000/],
  ])('refuses a step with %s, saying where and why, and writes nothing', async (_what, step, path, message) => {
    const before = await api.tableCounts();
    const response = await api.call('POST', '/sequences', sequenceWith(step));
    expect(response.status).toBe(400);
    expect(response.body.error?.details?.[0]).toMatchObject({ path });
    expect(String(response.body.error?.details?.[0]?.['message'])).toMatch(message);
    expect(await api.tableCounts()).toEqual(before);
  });

  it('caps custom fields in count and size, and enrolls nobody from a request that breaks a cap', async () => {
    const sequence = await api.call(
      'POST',
      '/sequences',
      sequenceWith({ content: 'Hi {{ first_name | default: "there" }}' }),
    );
    expect(sequence.status).toBe(201);
    const before = await api.tableCounts();
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`f${index}`, 'x']));
    for (const fields of [tooMany, { note: 'x'.repeat(2_001) }]) {
      const response = await api.call('POST', `/sequences/${String(sequence.body['id'])}/contacts`, {
        contacts: [{ email: 'ok@example.com' }, { email: 'capped@example.com', fields }],
      });
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.error?.details)).toMatch(/at most (50 custom fields|2000 characters)/);
    }
    expect(await api.tableCounts()).toEqual(before);
  });

  it('refuses a mailbox that would send its credentials without TLS, unless Outflow runs in development mode', async () => {
    const before = await api.tableCounts();
    const created = await api.call('POST', '/mailboxes', {
      email: 'cleartext@outflow.test',
      smtp_host: '192.0.2.25',
      smtp_port: 587,
      smtp_username: 'u',
      smtp_password: 'p',
      smtp_allow_insecure_auth: true,
    });
    expect(created.status).toBe(400);
    expect(created.body.error?.details?.[0]).toMatchObject({ path: 'smtp_allow_insecure_auth' });
    const changed = await api.call('PATCH', `/mailboxes/${mailboxId}`, { smtp_allow_insecure_auth: true });
    expect(changed.status).toBe(400);
    expect(await api.tableCounts()).toEqual(before);
    const mailbox = await api.call('GET', `/mailboxes/${mailboxId}`);
    expect(mailbox.body).toMatchObject({ smtp_allow_insecure_auth: false });
  });

  it.each([
    ['169.254.169.254', 80, 'smtp_port', /^port 80 is not an SMTP port/],
    ['169.254.169.254', 25, 'smtp_host', /^169\.254\.169\.254 is a link-local address/],
    ['localhost', 587, 'smtp_host', /^localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
    ['[::ffff:10.0.0.1]', 587, 'smtp_host', /a private network address/],
    ['no-such-host.invalid', 587, 'smtp_host', /^no-such-host\.invalid could not be resolved \(ENOTFOUND\)/],
  ])('refuses a mailbox whose SMTP server is %s:%s, and one changed to it', async (host, port, path, reason) => {
    const before = await api.tableCounts();
    const created = await api.call('POST', '/mailboxes', {
      email: 'internal@outflow.test',
      smtp_host: host,
      smtp_port: port,
    });
    expect(created.status).toBe(400);
    expect(created.body.error?.details).toEqual([{ path, message: expect.stringMatching(reason) }]);
    const changed = await api.call('PATCH', `/mailboxes/${mailboxId}`, { smtp_host: host, smtp_port: port });
    expect(changed.status).toBe(400);
    expect(changed.body.error?.details).toEqual([{ path, message: expect.stringMatching(reason) }]);
    expect(await api.tableCounts()).toEqual(before);
    expect((await api.call('GET', `/mailboxes/${mailboxId}`)).body).toMatchObject({ smtp_host: '192.0.2.25' });
  });

  it('checks a changed port against the host already saved', async () => {
    const changed = await api.call('PATCH', `/mailboxes/${mailboxId}`, { smtp_port: 6379 });
    expect(changed.status).toBe(400);
    expect(changed.body.error?.details?.[0]).toMatchObject({ path: 'smtp_port' });
    expect((await api.call('PATCH', `/mailboxes/${mailboxId}`, { smtp_port: 465 })).status).toBe(200);
  });
});

describe('rate limits per API key', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness('rate-limit-test', { rateLimitPerMinute: 5 });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers 429 with Retry-After beyond the limit, to that key only', async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await api.call('GET', '/mailboxes'));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = answers[5]!;
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.error).toEqual({
      code: 'rate_limited',
      message: `this API key made more than 5 requests in a minute; retry after ${retryAfter} s`,
    });
    expect(answers[0]!.headers.get('ratelimit')).toMatch(/r=4; t=\d+/);
    const other = await createApiKey(api.database.db, 'other');
    expect((await api.call('GET', '/mailboxes', undefined, other.key)).status).toBe(200);
  });
});
