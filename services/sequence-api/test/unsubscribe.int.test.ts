import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApiHarness, type ApiHarness } from './api-harness.js';

const workspaceId = '00000000-0000-0000-0000-000000000001';

describe('the unsubscribe link (public, signed)', () => {
  let api: ApiHarness;
  let sequenceId: string;
  let contactId: string;
  let origin: string;

  beforeAll(async () => {
    api = await startApiHarness('unsubscribe-test');
    origin = new URL(api.base).origin;
    const mailboxId = await api.createMailbox();
    const sequences = await Promise.all(
      ['First', 'Second'].map((name) =>
        api.call('POST', '/sequences', {
          name,
          mailbox_ids: [mailboxId],
          steps: [{ subject: 'Hi', content: 'Hello', wait_days: 0 }],
        }),
      ),
    );
    sequenceId = String(sequences[0]!.body['id']);
    for (const sequence of sequences) {
      const enrolled = await api.call('POST', `/sequences/${String(sequence.body['id'])}/contacts`, {
        contacts: [{ email: 'leaving@example.com' }],
      });
      contactId = (enrolled.body['enrollments'] as Array<{ contact_id: string }>)[0]!.contact_id;
    }
  });

  afterAll(async () => {
    await api?.close();
  });

  const link = (token: string) => `${origin}/u/${token}`;
  const oneClick = (token: string, body = 'List-Unsubscribe=One-Click') =>
    fetch(link(token), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

  it('shows a confirmation page on GET, which changes nothing', async () => {
    const token = api.unsubscribe.make({ workspaceId, contactId });
    const page = await fetch(link(token));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('l***@example.com');
    expect(html).not.toContain('leaving@');
    expect(html).toContain('<form method="post">');
    expect((await api.call('GET', '/suppressions')).body['suppressions']).toEqual([]);
  });

  it('answers a tampered or foreign token 404, changing nothing', async () => {
    const token = api.unsubscribe.make({ workspaceId, contactId });
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    expect((await fetch(link(tampered))).status).toBe(404);
    expect((await oneClick(tampered)).status).toBe(404);
    expect((await oneClick('k1.not-a-token.x')).status).toBe(404);
    expect((await api.call('GET', '/suppressions')).body['suppressions']).toEqual([]);
    // The one-click body is required: a bare POST changes nothing.
    expect((await oneClick(token, '')).status).toBe(400);
    expect((await api.call('GET', `/sequences/${sequenceId}/contacts`)).body['contacts']).toEqual([
      expect.objectContaining({ status: 'active' }),
    ]);
  });

  it('suppresses the address and stops every enrollment on the one-click POST, once however often it comes', async () => {
    const token = api.unsubscribe.make({ workspaceId, contactId });
    const done = await oneClick(token);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('You are unsubscribed');
    expect((await oneClick(token)).status).toBe(200);

    expect((await api.call('GET', '/suppressions')).body['suppressions']).toEqual([
      expect.objectContaining({ email: 'leaving@example.com', reason: 'unsubscribed', note: 'unsubscribe link' }),
    ]);
    expect((await api.call('GET', `/contacts/${contactId}`)).body).toMatchObject({
      status: 'unsubscribed',
      enrollments: [{ status: 'unsubscribed' }, { status: 'unsubscribed' }],
      recent_emails: [{ delivery_status: 'cancelled' }, { delivery_status: 'cancelled' }],
    });
  });

  it('answers a link of an erased contact as done, with nothing left to stop', async () => {
    const token = api.unsubscribe.make({ workspaceId, contactId: randomUUID() });
    expect((await oneClick(token)).status).toBe(200);
  });
});
