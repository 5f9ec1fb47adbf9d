import { describe, expect, it } from '@jest/globals';
import { duration, explainEmail, type EmailFacts } from './explain-email.js';

const now = new Date('2026-12-07T12:00:00Z');
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

const due: EmailFacts = {
  id: '0193a4b2-77c1-7d2e-9f10-3c5d8e2a1b47',
  status: 'scheduled',
  recipient: 'lee@example.org',
  stepOrder: 2,
  scheduledFor: minutesAgo(30),
  retryCount: 0,
  maxRetries: 3,
  attempts: 0,
  claimedAt: null,
  leaseExpiresAt: null,
  lastAttemptAt: null,
  sentAt: null,
  errorCode: null,
  errorMessage: null,
  deadLetteredAt: null,
  updatedAt: minutesAgo(60),
  sequence: { name: 'Q1 outreach', status: 'active' },
  enrollment: { status: 'active' },
  mailbox: {
    email: 'sales@acme.test',
    status: 'active',
    timeZone: 'Europe/Berlin',
    capacity: 100,
    dailyCapacity: 100,
    warmupDailyIncrease: null,
    pacing: { minGapSeconds: 0, jitterSeconds: 0, nextSendAt: null, inFlight: 0 },
    dueBefore: 0,
    usedToday: 40,
    dayEndsAt: new Date('2026-12-07T23:00:00Z'),
    dayEndsAtLocal: '00:00',
  },
  previous: { status: 'sent', sentAt: new Date('2026-12-04T11:30:00Z'), waitDays: 3 },
};

describe('explainEmail', () => {
  it('says a due email that nothing holds waits for the producer', () => {
    const explained = explainEmail(due, now);
    expect(explained.state).toBe('due');
    expect(explained.text).toBe(
      'Step 2 of "Q1 outreach" to lee@example.org from sales@acme.test has been due since 2026-12-07T11:30:00Z ' +
        "(30 min) and nothing holds it (sequence and mailbox active, 60 of the mailbox's capacity left today): the " +
        'producer claims due emails every tick. If it stays due, check that cron-producer runs.',
    );
  });

  it('names what holds a due email, in the order the producer checks: sequence, mailbox, capacity', () => {
    const atCapacity = { ...due, mailbox: { ...due.mailbox, usedToday: 100 } };
    expect(explainEmail(atCapacity, now)).toMatchObject({
      state: 'at_capacity',
      text: expect.stringContaining(
        'has used its capacity for today (100 of 100) until 00:00 mailbox time (Europe/Berlin), 2026-12-07T23:00:00Z, in 11 h 0 min.',
      ),
    });
    const mailboxPaused = { ...atCapacity, mailbox: { ...atCapacity.mailbox, status: 'paused' } };
    expect(explainEmail(mailboxPaused, now)).toMatchObject({
      state: 'mailbox_paused',
      text: expect.stringContaining('its mailbox sales@acme.test is paused'),
    });
    const sequencePaused = { ...mailboxPaused, sequence: { ...due.sequence, status: 'paused' } };
    expect(explainEmail(sequencePaused, now)).toMatchObject({
      state: 'sequence_paused',
      text: expect.stringContaining('its sequence is paused'),
    });
  });

  it('names a warm-up, a running gap and an email on its way from a paced mailbox, and the queue ahead', () => {
    const warming = { ...due, mailbox: { ...due.mailbox, capacity: 15, usedToday: 15, warmupDailyIncrease: 5 } };
    expect(explainEmail(warming, now).text).toContain(
      'has used its capacity for today (15 of 15, warming up: 5 more a day up to 100) until 00:00',
    );
    const pacing = { minGapSeconds: 120, jitterSeconds: 30, nextSendAt: new Date('2026-12-07T12:01:30Z'), inFlight: 0 };
    const paced = { ...due, mailbox: { ...due.mailbox, pacing, dueBefore: 3 } };
    expect(explainEmail(paced, now)).toEqual({
      state: 'paced',
      text:
        'Step 2 of "Q1 outreach" to lee@example.org from sales@acme.test has been due since 2026-12-07T11:30:00Z ' +
        '(30 min), but sales@acme.test keeps 120 s between sends (plus up to 30 s): it may send again at ' +
        '2026-12-07T12:01:30Z, in 2 min. 3 due email(s) of the mailbox go before it.',
    });
    const onItsWay = { ...paced, mailbox: { ...paced.mailbox, pacing: { ...pacing, nextSendAt: null, inFlight: 1 } } };
    expect(explainEmail(onItsWay, now).text).toContain(
      'one at a time: 1 is on its way, and the next is claimed once it is recorded and the gap has passed.',
    );
    const gapOver = { ...paced, mailbox: { ...paced.mailbox, pacing: { ...pacing, nextSendAt: minutesAgo(1) } } };
    expect(explainEmail(gapOver, now).state).toBe('due');
  });

  it('tells a wait after the previous step from a retry backoff', () => {
    const waiting = { ...due, scheduledFor: new Date('2026-12-07T11:30:00Z'), previous: due.previous! };
    const later = { ...waiting, scheduledFor: new Date('2026-12-08T09:00:00Z') };
    expect(explainEmail(later, now)).toEqual({
      state: 'scheduled',
      text:
        'Step 2 of "Q1 outreach" to lee@example.org from sales@acme.test is scheduled for 2026-12-08T09:00:00Z ' +
        '(in 21 h 0 min). Step 1 was sent at 2026-12-04T11:30:00Z; this one waits 3 day(s) after it.',
    });
    const backingOff = { ...later, retryCount: 2, errorCode: '421', errorMessage: 'try later' };
    expect(explainEmail(backingOff, now)).toMatchObject({
      state: 'retry_backoff',
      text: expect.stringContaining('(421 try later): retry 2 of 3, backing off until 2026-12-08T09:00:00Z'),
    });
  });

  it('explains each status past the claim, with the command that acts on it where one does', () => {
    expect(explainEmail({ ...due, status: 'queued', claimedAt: minutesAgo(12) }, now)).toMatchObject({
      state: 'claimed',
      text: expect.stringContaining('waits for a sender (12 min so far)'),
    });
    expect(
      explainEmail({ ...due, status: 'sending', lastAttemptAt: minutesAgo(1), leaseExpiresAt: now }, now),
    ).toMatchObject({
      state: 'sending',
      text: expect.stringContaining('takes it back after its lease, 2026-12-07T12:00:00Z'),
    });
    expect(explainEmail({ ...due, status: 'retry_pending', attempts: 2, retryCount: 1 }, now)).toMatchObject({
      state: 'retry_pending',
      text: expect.stringContaining('(1 of 3 used)'),
    });
    const failed = explainEmail(
      { ...due, status: 'permanent_failure', attempts: 4, errorCode: '550', deadLetteredAt: now },
      now,
    );
    expect(failed).toMatchObject({ state: 'failed', next: `outflow retry ${due.id} --reason "<what was fixed>"` });
    expect(failed.text).toContain('failed for good at 2026-12-07T11:00:00Z after 4 attempt(s): 550.');
    expect(failed.text).toContain('dead-lettered at 2026-12-07T12:00:00Z');
    expect(explainEmail({ ...due, status: 'uncertain' }, now)).toMatchObject({
      state: 'uncertain',
      next: `outflow uncertain resolve ${due.id} --sent | --resend`,
    });
    expect(explainEmail({ ...due, status: 'cancelled', enrollment: { status: 'unsubscribed' } }, now)).toMatchObject({
      state: 'cancelled',
      text: expect.stringContaining('(the enrollment is unsubscribed); it will not be sent'),
    });
  });

  it('says what follows a sent email: the next step and when, or why nothing does', () => {
    const sent = { ...due, status: 'sent', sentAt: minutesAgo(5) };
    const next = { stepOrder: 3, waitDays: 2, dueAt: new Date('2026-12-09T11:55:00Z'), scheduled: false };
    expect(explainEmail({ ...sent, next }, now).text).toBe(
      'Step 2 of "Q1 outreach" to lee@example.org from sales@acme.test was sent at 2026-12-07T11:55:00Z. Step 3 ' +
        'follows 2 day(s) later: the follow-up scheduler schedules it for 2026-12-09T11:55:00Z.',
    );
    expect(explainEmail({ ...sent, next: { ...next, dueAt: minutesAgo(1) } }, now).text).toContain(
      'It should exist by now: check that followup-scheduler runs and its lag.',
    );
    expect(explainEmail({ ...sent, next: { ...next, scheduled: true } }, now).text).toContain('Step 3 is scheduled');
    expect(explainEmail({ ...sent, enrollment: { status: 'completed' } }, now).text).toContain('it was the last step');
    expect(explainEmail({ ...sent, enrollment: { status: 'bounced' } }, now).text).toContain(
      'The enrollment is bounced',
    );
  });
});

describe('duration', () => {
  it('rounds to what a person reads', () => {
    expect(duration(now, new Date(now.getTime() + 45_000))).toBe('45 s');
    expect(duration(now, new Date(now.getTime() + 50 * 60_000))).toBe('50 min');
    expect(duration(now, new Date(now.getTime() + 200 * 60_000))).toBe('3 h 20 min');
    expect(duration(now, new Date(now.getTime() + 50 * 3_600_000))).toBe('2 days 2 h');
    expect(duration(now, minutesAgo(5))).toBe('0 s');
  });
});
