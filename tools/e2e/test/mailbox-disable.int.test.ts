import { describe, expect, it } from '@jest/globals';
import { eventually } from './api-client.js';
import { runningPipeline } from './running-pipeline.js';

/**
 * Disabling a mailbox whose emails are already claimed and waiting in Kafka: they go out once, from the sequence's
 * other mailbox, and the jobs claimed for the disabled one send nothing.
 */
describe('disabling a mailbox on the running pipeline', () => {
  // No sender yet: what the producer claims waits in email-jobs.
  const e2e = runningPipeline({
    services: ['sequence-api', 'cron-producer', 'followup-scheduler'],
  });

  it('moves claimed and scheduled mail to the other mailbox; the stale jobs send nothing', async () => {
    const { stack, pipeline, api } = e2e;
    const mailbox = async (email: string) => {
      const created = await api('POST', '/api/v1/mailboxes', {
        email,
        smtp_host: stack.smtp.host,
        smtp_port: stack.smtp.port,
        smtp_username: email,
        smtp_password: 'not-a-real-password',
        smtp_allow_insecure_auth: true,
        daily_capacity: 100,
      });
      expect(created.status).toBe(201);
      return String(created.body['id']);
    };
    const leaving = await mailbox('leaving@sender.test');
    const staying = await mailbox('staying@sender.test');
    const sequence = await api('POST', '/api/v1/sequences', {
      name: 'Two senders',
      mailbox_ids: [leaving, staying],
      steps: [{ subject: 'Hello', content: 'Once', wait_days: 0 }],
    });
    const recipients = ['r1@example.com', 'r2@example.com', 'r3@example.com', 'r4@example.com'];
    const enrolled = await api('POST', `/api/v1/sequences/${String(sequence.body['id'])}/contacts`, {
      contacts: recipients.map((email) => ({ email })),
    });
    expect(enrolled.status).toBe(201);
    // Every email claimed: two jobs per mailbox wait in Kafka.
    await eventually(async () => {
      const { body } = await api<{ emails: Array<{ status: string }> }>('GET', '/api/v1/emails?status=queued');
      return body.emails.length === 4 && body.emails.every((email) => email.status === 'queued');
    });

    const disabled = await api('POST', `/api/v1/mailboxes/${leaving}/disable`);
    expect(disabled.body).toEqual({
      id: leaving,
      status: 'disabled',
      reassigned_enrollments: 2,
      cancelled_enrollments: 0,
      cancelled_emails: 0,
    });
    const { body: leavingNow } = await api<{ today: { reserved: number } }>('GET', `/api/v1/mailboxes/${leaving}`);
    expect(leavingNow.today.reserved).toBe(0);

    await pipeline.addReplica('smtp-sender');
    const messages = await stack.smtp.waitForMessages(4, 60_000);
    await eventually(async () => {
      const { body } = await api<{ emails: Array<{ mailbox_id: string }> }>('GET', '/api/v1/emails?status=sent');
      return body.emails.length === 4 && body.emails.every((email) => email.mailbox_id === staying);
    });
    expect(messages.map((message) => message.from)).toEqual(Array(4).fill('staying@sender.test'));
    expect(messages.flatMap((message) => message.to).sort()).toEqual(recipients);
    const { body: stayingNow } = await api<{ today: { sent: number; reserved: number } }>(
      'GET',
      `/api/v1/mailboxes/${staying}`,
    );
    expect(stayingNow.today).toMatchObject({ sent: 4, reserved: 0 });
    // The stale jobs were consumed too, and sent nothing more.
    expect(stack.smtp.messages).toHaveLength(4);

    // Disabled, and every email it had moved away: nothing names it any more, so it is deleted outright.
    expect((await api('DELETE', `/api/v1/mailboxes/${staying}`)).status).toBe(409);
    expect((await api('DELETE', `/api/v1/mailboxes/${leaving}`)).body).toEqual({
      id: leaving,
      deleted: true,
      kept_as_history: false,
    });
    expect((await api('GET', `/api/v1/mailboxes/${leaving}`)).status).toBe(404);
  }, 120_000);
});
