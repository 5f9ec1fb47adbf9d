import { describe, expect, it } from '@jest/globals';
import { eventually } from './api-client.js';
import { runningPipeline } from './running-pipeline.js';

type Email = { id: string; step_order: number; status: string; scheduled_for: string; sent_at: string | null };

/** Kolkata is UTC+05:30 all year: its wall clock is UTC shifted by this much. */
const kolkataOffsetMs = 5.5 * 3_600_000;
const isoWeekday = (utcFields: Date) => ((utcFields.getUTCDay() + 6) % 7) + 1;

/**
 * Send windows and waits on the recipient's clock, through the API, the scheduler and the sender. The DST rules
 * themselves are tested where they live (packages/db/test/send-windows.int.test.ts); here a half-hour zone.
 */
describe('send windows in the recipient time zone', () => {
  const e2e = runningPipeline({ services: ['sequence-api', 'cron-producer', 'smtp-sender', 'followup-scheduler'] });

  async function sequenceWith(name: string, settings: object) {
    const { stack, api } = e2e;
    const mailbox = await api('POST', '/api/v1/mailboxes', {
      email: `${name}@sender.test`,
      smtp_host: stack.smtp.host,
      smtp_port: stack.smtp.port,
      smtp_allow_insecure_auth: true,
      daily_capacity: 100,
    });
    const sequence = await api('POST', '/api/v1/sequences', {
      name,
      mailbox_ids: [mailbox.body['id']],
      steps: [
        { subject: 'Hello', content: 'One', wait_days: 0 },
        { content: 'Two', wait_days: 1 },
      ],
      ...settings,
    });
    expect(sequence.status).toBe(201);
    return String(sequence.body['id']);
  }

  const emailsOf = async (sequenceId: string) =>
    (await e2e.api<{ emails: Email[] }>('GET', `/api/v1/emails?sequence_id=${sequenceId}&limit=10`)).body.emails;

  it("holds an email due outside the window until the window opens on the contact's clock", async () => {
    // Only tomorrow (in Kolkata) is a sending day, from 09:00: the email waits for 09:00 IST, 03:30 UTC.
    const kolkataNow = new Date(Date.now() + kolkataOffsetMs);
    const tomorrow = new Date(
      Date.UTC(kolkataNow.getUTCFullYear(), kolkataNow.getUTCMonth(), kolkataNow.getUTCDate() + 1),
    );
    const sequenceId = await sequenceWith('window', {
      send_window: { days: [isoWeekday(tomorrow)], from: '09:00', to: '17:00' },
    });
    await e2e.api('POST', `/api/v1/sequences/${sequenceId}/contacts`, {
      contacts: [{ email: 'priya@prospect.test', time_zone: 'Asia/Kolkata' }],
    });
    const [email] = await emailsOf(sequenceId);
    expect(email).toMatchObject({
      status: 'scheduled',
      scheduled_for: new Date(tomorrow.getTime() + 9 * 3_600_000 - kolkataOffsetMs).toISOString(),
    });
  });

  it('sends an email due before the window opens when it opens, not before', async () => {
    // A window opening at the next whole minute on the New York clock: the email enrolled now waits for it.
    // (Enrolled at least 3 s before it opens; and a window must close after it opens: at 23:58 local, wait.)
    const newYork = (time: number) =>
      new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit' })
        .format(new Date(time))
        .replace(/^24/, '00');
    const nextMinute = () => Math.ceil((Date.now() + 1) / 60_000) * 60_000;
    await eventually(
      async () => (nextMinute() - Date.now() > 3_000 && newYork(nextMinute()) !== '23:59') || undefined,
      70_000,
      200,
    );
    const opensAt = nextMinute();
    const sequenceId = await sequenceWith('opening', {
      time_zone: 'America/New_York',
      send_window: { days: [1, 2, 3, 4, 5, 6, 7], from: newYork(opensAt), to: '23:59' },
    });
    await e2e.api('POST', `/api/v1/sequences/${sequenceId}/contacts`, { contacts: [{ email: 'nina@prospect.test' }] });
    const [email] = await emailsOf(sequenceId);
    expect(email).toMatchObject({ status: 'scheduled', scheduled_for: new Date(opensAt).toISOString() });
    const sent = await eventually(async () => {
      const listed = await emailsOf(sequenceId);
      return listed.find((candidate) => candidate.step_order === 1 && candidate.status === 'sent');
    }, 90_000);
    expect(Date.parse(sent.sent_at!)).toBeGreaterThanOrEqual(opensAt);
  });

  it('sends at once inside the window, and counts the follow-up wait in weekdays at the same local time', async () => {
    const sequenceId = await sequenceWith('business', { wait_unit: 'business', time_zone: 'Asia/Kolkata' });
    await e2e.api('POST', `/api/v1/sequences/${sequenceId}/contacts`, { contacts: [{ email: 'arjun@prospect.test' }] });
    const emails = await eventually(async () => {
      const listed = await emailsOf(sequenceId);
      return listed.length === 2 && listed;
    });
    const first = emails.find((email) => email.step_order === 1)!;
    const second = emails.find((email) => email.step_order === 2)!;
    expect(first.status).toBe('sent');
    // One weekday after the send, on the Kolkata clock: Friday's send waits for Monday.
    const local = new Date(new Date(first.sent_at!).getTime() + kolkataOffsetMs);
    do local.setUTCDate(local.getUTCDate() + 1);
    while (isoWeekday(local) > 5);
    expect(second).toMatchObject({
      status: 'scheduled',
      scheduled_for: new Date(local.getTime() - kolkataOffsetMs).toISOString(),
    });
  });
});
