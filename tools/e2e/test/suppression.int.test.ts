import { describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { eventually } from './api-client.js';
import { runningPipeline } from './running-pipeline.js';

/**
 * The sender checks the suppression list right before SMTP: an address suppressed while its email was already
 * claimed and waiting in Kafka (here an operator's bulk import, straight into the table) is cancelled, not sent.
 */
describe('the sender refuses an address suppressed after its email was queued', () => {
  // No sender yet: what the producer claims waits in email-jobs.
  const e2e = runningPipeline({ services: ['sequence-api', 'cron-producer', 'followup-scheduler'] });

  it('cancels the suppressed one with its capacity and enrollment, and sends the other', async () => {
    const { stack, database, pipeline, api } = e2e;
    const mailbox = await api('POST', '/api/v1/mailboxes', {
      email: 'suppress@sender.test',
      smtp_host: stack.smtp.host,
      smtp_port: stack.smtp.port,
      smtp_username: 'suppress@sender.test',
      smtp_password: 'not-a-real-password',
      smtp_allow_insecure_auth: true,
      daily_capacity: 100,
    });
    const mailboxId = String(mailbox.body['id']);
    const sequence = await api('POST', '/api/v1/sequences', {
      name: 'Suppressed on the way',
      mailbox_ids: [mailboxId],
      steps: [
        { subject: 'Hello', content: 'One', wait_days: 0 },
        { subject: 'Again', content: 'Two', wait_days: 1 },
      ],
    });
    const base = `/api/v1/sequences/${String(sequence.body['id'])}`;
    await api('POST', `${base}/contacts`, { contacts: [{ email: 'keep@example.com' }, { email: 'Gone@Example.com' }] });
    await eventually(async () => {
      const { body } = await api<{ emails: Array<{ status: string }> }>('GET', '/api/v1/emails?status=queued');
      return body.emails.length === 2 && body.emails.every((email) => email.status === 'queued');
    });
    const { rows } = await sql<{ id: string }>`select id from workspaces limit 1`.execute(database.db);
    await sql`
      insert into suppressions (workspace_id, email, reason) values (${rows[0]!.id}, 'gone@example.com', 'unsubscribed')
    `.execute(database.db);

    await pipeline.addReplica('smtp-sender');
    const [delivered] = await stack.smtp.waitForMessages(1, 60_000);
    expect(delivered!.to).toEqual(['keep@example.com']);
    const cancelled = await eventually(async () => {
      const { body } = await api<{ emails: Array<Record<string, unknown>> }>('GET', '/api/v1/emails?status=cancelled');
      return body.emails[0];
    });
    expect(cancelled).toMatchObject({
      recipient: 'Gone@Example.com',
      last_error: { code: 'SUPPRESSED' },
    });
    const { body: history } = await api<{ events: Array<{ type: string; metadata: unknown }> }>(
      'GET',
      `/api/v1/emails/${String(cancelled['id'])}`,
    );
    expect(history.events).toEqual([
      expect.objectContaining({
        type: 'cancelled',
        metadata: { reason: 'suppressed', suppression_reason: 'unsubscribed' },
      }),
    ]);
    const { body: enrollments } = await api<{ contacts: Array<{ email: string; status: string }> }>(
      'GET',
      `${base}/contacts`,
    );
    expect(enrollments.contacts.find((enrollment) => enrollment.email === 'Gone@Example.com')!.status).toBe(
      'unsubscribed',
    );
    await eventually(async () => {
      const { body } = await api<{ today: { sent: number; reserved: number } }>(
        'GET',
        `/api/v1/mailboxes/${mailboxId}`,
      );
      return body.today.sent === 1 && body.today.reserved === 0;
    });
    expect(stack.smtp.messages).toHaveLength(1);
  }, 120_000);

  it('carries a one-click unsubscribe link that stops the recipient at once, later steps included', async () => {
    const { stack, api } = e2e;
    const [delivered] = stack.smtp.messages;
    expect(delivered!.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const link =
      /^<(http:\/\/127\.0\.0\.1:\d+\/u\/[^>]+)>,\s+<mailto:suppress@sender\.test\?subject=unsubscribe%20[^>]+>$/.exec(
        // Folded after the name (the value is long): the folding space is not part of it.
        delivered!.headers['list-unsubscribe']!.trim(),
      );
    expect(link).not.toBeNull();
    // As a mail client's button does it (RFC 8058).
    const response = await fetch(link![1]!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    const { body } = await api<{ suppressions: Array<{ email: string; reason: string }> }>(
      'GET',
      '/api/v1/suppressions',
    );
    expect(body.suppressions).toEqual(
      expect.arrayContaining([expect.objectContaining({ email: 'keep@example.com', reason: 'unsubscribed' })]),
    );
    // Its step 2 (a day later) is cancelled; nothing more goes to it.
    const { body: contacts } = await api<{ contacts: Array<{ id: string; email: string }> }>(
      'GET',
      '/api/v1/contacts?q=keep',
    );
    const { body: contact } = await api<{ status: string; enrollments: Array<{ status: string }> }>(
      'GET',
      `/api/v1/contacts/${contacts.contacts[0]!.id}`,
    );
    expect(contact).toMatchObject({ status: 'unsubscribed', enrollments: [{ status: 'unsubscribed' }] });
    const { body: scheduled } = await api<{ emails: unknown[] }>('GET', '/api/v1/emails?status=queued');
    expect(scheduled.emails).toEqual([]);
  }, 60_000);
});
