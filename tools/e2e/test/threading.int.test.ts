import { describe, expect, it } from '@jest/globals';
import { runningPipeline } from './running-pipeline.js';

/** Follow-ups answer in the thread of the first email, as a person's would, from the same mailbox. */
describe('threaded follow-ups', () => {
  // A "day" of 2 seconds: the follow-ups come within seconds.
  const e2e = runningPipeline({
    services: ['sequence-api', 'cron-producer', 'smtp-sender', 'followup-scheduler'],
    env: { OUTFLOW_DAY_SECONDS: '2' },
  });

  it('sends step 2 as Re: the first subject with In-Reply-To and References, and step 3 under its own subject', async () => {
    const { stack, api } = e2e;
    const mailbox = await api('POST', '/api/v1/mailboxes', {
      email: 'thread@sender.test',
      smtp_host: stack.smtp.host,
      smtp_port: stack.smtp.port,
      smtp_username: 'thread@sender.test',
      smtp_password: 'not-a-real-password',
      smtp_allow_insecure_auth: true,
      daily_capacity: 100,
    });
    const refused = await api('POST', '/api/v1/sequences', {
      name: 'No opening subject',
      mailbox_ids: [mailbox.body['id']],
      steps: [{ content: 'Hi', wait_days: 0 }],
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('the first step needs a subject');

    const sequence = await api('POST', '/api/v1/sequences', {
      name: 'Threaded',
      mailbox_ids: [mailbox.body['id']],
      steps: [
        { subject: 'Quick question, {{ first_name }}', content: 'Are you hiring?', wait_days: 0 },
        { content: 'Bumping this up.', wait_days: 1 },
        { subject: 'A new topic', content: 'Something else.', wait_days: 1 },
      ],
    });
    expect(sequence.status).toBe(201);
    await api('POST', `/api/v1/sequences/${String(sequence.body['id'])}/contacts`, {
      contacts: [{ email: 'tara@prospect.test', first_name: 'Tara' }],
    });

    const [first, second, third] = await stack.smtp.waitForMessages(3, 60_000);
    const header = (message: typeof first, name: string) => message!.headers[name]?.replace(/\s+/g, ' ').trim();
    expect(header(first, 'subject')).toBe('Quick question, Tara');
    expect(header(first, 'in-reply-to')).toBeUndefined();
    expect(header(second, 'subject')).toBe('Re: Quick question, Tara');
    expect(header(second, 'in-reply-to')).toBe(header(first, 'message-id'));
    expect(header(second, 'references')).toBe(header(first, 'message-id'));
    expect(header(third, 'subject')).toBe('A new topic');
    expect(header(third, 'in-reply-to')).toBe(header(second, 'message-id'));
    expect(header(third, 'references')).toBe(`${header(first, 'message-id')} ${header(second, 'message-id')}`);
    // The whole thread from the one mailbox.
    expect(new Set([first, second, third].map((message) => message!.from))).toEqual(new Set(['thread@sender.test']));
  }, 90_000);
});
