import { describe, expect, it } from '@jest/globals';
import { eventually } from './api-client.js';
import { runningPipeline } from './running-pipeline.js';

/** A short day, so that a test sees a mailbox's capacity run out and come back. */
const DAY_SECONDS = 6;
const dayMs = DAY_SECONDS * 1000;

type Email = { id: string; status: string; sent_at: string | null };
type Forecast = {
  emails: Array<{ email_id: string; expected_at: string | null; held_by: string }>;
  expected: number;
};

/**
 * Pacing and the forecast on the real pipeline: what the producer claims, the sender sends and the SMTP sink
 * receives, against what the API said before.
 */
describe('pacing and the forecast', () => {
  const e2e = runningPipeline({
    services: ['sequence-api', 'cron-producer', 'smtp-sender'],
    env: { OUTFLOW_DAY_SECONDS: String(DAY_SECONDS) },
  });

  async function sequenceFrom(name: string, mailbox: object, waitDays: number) {
    const { stack, api } = e2e;
    const created = await api('POST', '/api/v1/mailboxes', {
      email: `${name}@sender.test`,
      smtp_host: stack.smtp.host,
      smtp_port: stack.smtp.port,
      smtp_allow_insecure_auth: true,
      ...mailbox,
    });
    expect(created.status).toBe(201);
    const sequence = await api('POST', '/api/v1/sequences', {
      name,
      mailbox_ids: [created.body['id']],
      steps: [{ subject: 'Hello', content: 'One', wait_days: waitDays }],
    });
    expect(sequence.status).toBe(201);
    return `/api/v1/sequences/${String(sequence.body['id'])}`;
  }

  const enroll = (path: string, count: number, name: string) =>
    e2e.api('POST', `${path}/contacts`, {
      contacts: Array.from({ length: count }, (_, index) => ({ email: `${name}-${index}@prospect.test` })),
    });

  it("keeps a mailbox's sends at least its minimum gap apart", async () => {
    const path = await sequenceFrom('paced', { daily_capacity: 100, min_gap_seconds: 1, gap_jitter_seconds: 1 }, 0);
    await enroll(path, 4, 'paced');
    const received = await eventually(async () => {
      const ours = e2e.stack.smtp.messages.filter((message) => message.from === 'paced@sender.test');
      return ours.length === 4 && ours;
    }, 60_000);
    const times = received.map((message) => message.receivedAt.getTime()).sort((a, b) => a - b);
    const gaps = times.slice(1).map((time, index) => time - times[index]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1_000);
  });

  it('sends each email on the mailbox day the forecast said, no earlier than it said', async () => {
    // Two a day, a second apart; five emails due one day after enrollment: two that day, two the next (the
    // first of them at the day's start), the last on the day after.
    const path = await sequenceFrom('forecast', { daily_capacity: 2, min_gap_seconds: 1 }, 1);
    // Enrol early in a mailbox day (UTC), so that the due emails are not at the edge of theirs.
    await eventually(async () => Date.now() % dayMs < 1_500 || undefined, 2 * dayMs, 20);
    await enroll(path, 5, 'forecast');
    const forecast = (await e2e.api<Forecast>('GET', `${path}/forecast`)).body;
    expect(forecast.expected).toBe(5);
    expect(forecast.emails.map((email) => email.held_by)).toEqual([
      'schedule',
      'pacing',
      'capacity',
      'pacing',
      'capacity',
    ]);

    const emails = await eventually(async () => {
      const listed = (await e2e.api<{ emails: Email[] }>('GET', `/api/v1/emails?sequence_id=${path.split('/').at(-1)}`))
        .body.emails;
      return listed.length === 5 && listed.every((email) => email.status === 'sent') && listed;
    }, 60_000);
    const sentAt = new Map(emails.map((email) => [email.id, Date.parse(email.sent_at!)]));
    const day = (time: number) => Math.floor(time / dayMs);
    for (const email of forecast.emails) {
      const expected = Date.parse(email.expected_at!);
      const sent = sentAt.get(email.email_id)!;
      expect({ email: email.email_id, day: day(sent), early: sent < expected }).toEqual({
        email: email.email_id,
        day: day(expected),
        early: false,
      });
    }
  });
});
