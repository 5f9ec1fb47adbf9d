import { describe, expect, it } from '@jest/globals';
import { forecastMailbox, type MailboxState, type QueuedEmail } from './mailbox-forecast.js';

const now = new Date('2026-12-07T10:00:00Z');
const at = (time: string) => new Date(`2026-12-${time}Z`);

/** Days starting at midnight UTC from 2026-12-07, each of `capacity`, today `usedToday` used. */
function mailbox(changes: Partial<MailboxState> & { capacity?: number; usedToday?: number; horizon?: number } = {}) {
  const { capacity = 3, usedToday = 0, horizon = 3, ...rest } = changes;
  const days = Array.from({ length: horizon + 1 }, (_, index) => ({
    startsAt: new Date(Date.UTC(2026, 11, 7 + index)),
    capacity,
    used: index === 0 ? usedToday : 0,
  }));
  return { active: true, days, gapMs: 0, nextSendAt: null, inFlight: 0, ...rest };
}

const queue = (...times: string[]): QueuedEmail[] =>
  times.map((time, index) => ({ id: `e${index + 1}`, scheduledFor: at(time) }));

const expected = (projections: ReturnType<typeof forecastMailbox>) =>
  Object.fromEntries(
    [...projections].map(([id, p]) => [id, `${p.expectedAt?.toISOString().slice(8, 19) ?? '-'} ${p.heldBy}`]),
  );

describe('forecastMailbox', () => {
  it('sends what is due now, the rest when due, and moves what exceeds a day’s capacity to the next day', () => {
    const projections = forecastMailbox(
      mailbox({ usedToday: 1 }),
      queue('07T08:00:00', '07T09:00:00', '07T11:00:00', '08T09:00:00'),
      now,
    );
    expect(expected(projections)).toEqual({
      e1: '07T10:00:00 schedule',
      e2: '07T10:00:00 schedule',
      e3: '08T00:00:00 capacity',
      e4: '08T09:00:00 schedule',
    });
  });

  it('keeps a paced mailbox’s gap, after a running gap and after an email in flight', () => {
    const paced = mailbox({ gapMs: 15 * 60_000, nextSendAt: at('07T10:05:00') });
    expect(expected(forecastMailbox(paced, queue('07T09:00:00', '07T09:30:00', '07T11:00:00'), now))).toEqual({
      e1: '07T10:05:00 pacing',
      e2: '07T10:20:00 pacing',
      e3: '07T11:00:00 schedule',
    });
    const inFlight = { ...paced, nextSendAt: null, inFlight: 1 };
    expect(expected(forecastMailbox(inFlight, queue('07T09:00:00'), now))).toEqual({ e1: '07T10:15:00 pacing' });
  });

  it('says which emails fall beyond the horizon, and that a paused mailbox sends none', () => {
    const small = mailbox({ capacity: 1, horizon: 2 });
    expect(
      expected(forecastMailbox(small, queue('07T09:00:00', '07T09:00:00', '07T09:00:00', '07T09:00:00'), now)),
    ).toEqual({
      e1: '07T10:00:00 schedule',
      e2: '08T00:00:00 capacity',
      e3: '- beyond_horizon',
      e4: '- beyond_horizon',
    });
    expect(expected(forecastMailbox(mailbox(), queue('20T09:00:00'), now))).toEqual({ e1: '- beyond_horizon' });
    expect(expected(forecastMailbox({ ...mailbox(), active: false }, queue('07T09:00:00'), now))).toEqual({
      e1: '- mailbox_inactive',
    });
  });

  it('gives a day of no capacity (a warm-up at 0) nothing', () => {
    const ramp = mailbox();
    ramp.days[0]!.capacity = 0;
    ramp.days[1]!.capacity = 1;
    expect(expected(forecastMailbox(ramp, queue('07T09:00:00', '07T09:00:00'), now))).toEqual({
      e1: '08T00:00:00 capacity',
      e2: '09T00:00:00 capacity',
    });
  });
});
