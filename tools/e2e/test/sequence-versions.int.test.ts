import { describe, expect, it } from '@jest/globals';
import { eventually } from './api-client.js';
import { runningPipeline } from './running-pipeline.js';

interface Enrollment {
  contact_id: string;
  email: string;
  status: string;
}

/**
 * Editing a sequence on the running pipeline: an edit is a new version; enrollments stay on theirs until moved,
 * and an email already scheduled keeps its content. Checked by what the SMTP server received.
 */
describe('sequence versions on the running pipeline', () => {
  // Steps wait one 2-second day each.
  const e2e = runningPipeline({
    services: ['sequence-api', 'cron-producer', 'smtp-sender', 'followup-scheduler'],
    env: { OUTFLOW_DAY_SECONDS: '2' },
  });

  it('sends each enrollment its own version, moved ones the new steps, scheduled emails as scheduled', async () => {
    const { stack, api } = e2e;
    const mailbox = await api('POST', '/api/v1/mailboxes', {
      email: 'versions@sender.test',
      smtp_host: stack.smtp.host,
      smtp_port: stack.smtp.port,
      smtp_username: 'versions@sender.test',
      smtp_password: 'not-a-real-password',
      smtp_allow_insecure_auth: true,
      daily_capacity: 1_000,
    });
    expect(mailbox.status).toBe(201);
    const created = await api('POST', '/api/v1/sequences', {
      name: 'Versioned',
      mailbox_ids: [mailbox.body['id']],
      steps: [1, 2, 3].map((step) => ({ subject: `v1 step ${step}`, content: `one ${step}`, wait_days: 1 })),
    });
    expect(created.status).toBe(201);
    const base = `/api/v1/sequences/${String(created.body['id'])}`;

    // Enrolled on version 1; paused at once, so their first emails are still scheduled when the steps change.
    const enrolled = await api('POST', `${base}/contacts`, {
      contacts: [{ email: 'stays@example.com' }, { email: 'moved@example.com' }],
    });
    expect(enrolled.status).toBe(201);
    expect((await api('POST', `${base}/pause`)).body).toMatchObject({ status: 'paused', version: 1 });
    const scheduled = await api<{ emails: Array<{ status: string }> }>('GET', `/api/v1/emails?status=queued`);
    expect(scheduled.body.emails.map((email) => email.status)).toEqual(['scheduled', 'scheduled']);

    const edited = await api('PATCH', base, {
      name: 'Versioned, shorter',
      steps: [1, 2].map((step) => ({ subject: `v2 step ${step}`, content: `two ${step}`, wait_days: 1 })),
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ version: 2, name: 'Versioned, shorter', step_count: 2 });

    const listed = await api<{ contacts: Enrollment[] }>('GET', `${base}/contacts`);
    const moved = listed.body.contacts.find((enrollment) => enrollment.email === 'moved@example.com')!;
    expect((await api('POST', `${base}/move-enrollments`, { contact_ids: [moved.contact_id] })).body).toEqual({
      moved: 1,
      to_version: 2,
    });
    expect((await api('POST', `${base}/move-enrollments`, { to_version: 9 })).status).toBe(404);

    expect((await api('POST', `${base}/resume`)).status).toBe(200);
    expect((await api('POST', `${base}/contacts`, { contacts: [{ email: 'new@example.com' }] })).status).toBe(201);

    await eventually(async () => {
      const { body } = await api<{ contacts: Enrollment[] }>('GET', `${base}/contacts`);
      return body.contacts.every((enrollment) => enrollment.status === 'completed');
    });
    const subjects = async (recipient: string) =>
      Promise.all(
        stack.smtp.messages
          .filter((message) => message.to.includes(recipient))
          .map(async (message) => (await stack.smtp.parse(message)).subject),
      );
    // Version 1 to the end, for the enrollment left on it.
    expect(await subjects('stays@example.com')).toEqual(['v1 step 1', 'v1 step 2', 'v1 step 3']);
    // Its first email was scheduled with version 1's content; then version 2's steps, and it ends with them.
    expect(await subjects('moved@example.com')).toEqual(['v1 step 1', 'v2 step 2']);
    expect(await subjects('new@example.com')).toEqual(['v2 step 1', 'v2 step 2']);

    const versions = await api('GET', `${base}/versions`);
    expect(versions.body).toMatchObject({
      current_version: 2,
      versions: [
        { version: 2, name: 'Versioned, shorter', step_count: 2, enrollments: { active: 0, total: 2 } },
        { version: 1, name: 'Versioned', step_count: 3, enrollments: { active: 0, total: 1 } },
      ],
    });
    const first = await api<{ steps: Array<{ subject: string }> }>('GET', `${base}/versions/1`);
    expect(first.body.steps.map((step) => step.subject)).toEqual(['v1 step 1', 'v1 step 2', 'v1 step 3']);

    // Nothing in flight: it may go, with its emails; its events stay in the counts over time.
    expect((await api('DELETE', base)).body).toEqual({ id: created.body['id'], deleted: true });
    expect((await api('GET', base)).status).toBe(404);
    expect((await api<{ last_hour: { sent: number } }>('GET', '/api/v1/stats')).body.last_hour.sent).toBe(7);
  }, 120_000);
});
