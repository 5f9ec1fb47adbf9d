import { describe, expect, it } from '@jest/globals';
import { dueBacklog, type MailboxBacklog } from './due-backlog.js';

const mailbox = (overrides: Partial<MailboxBacklog>): MailboxBacklog => ({
  scheduled: 12,
  due: 10,
  heldBySequence: 0,
  mailboxActive: true,
  atCapacity: false,
  oldestSendableSeconds: 5,
  ...overrides,
});

describe('dueBacklog', () => {
  it('is empty with nothing scheduled', () => {
    expect(dueBacklog([])).toEqual({
      scheduled: 0,
      due: { none: 0, sequence: 0, mailbox: 0, capacity: 0 },
      oldestSendableSeconds: 0,
    });
  });

  it('counts what waits its turn, and how long the oldest of it waited', () => {
    expect(
      dueBacklog([mailbox({ oldestSendableSeconds: 5 }), mailbox({ scheduled: 3, due: 3, oldestSendableSeconds: 40 })]),
    ).toEqual({ scheduled: 15, due: { none: 13, sequence: 0, mailbox: 0, capacity: 0 }, oldestSendableSeconds: 40 });
  });

  it('counts a mailbox whose emails are all still to come as scheduled only', () => {
    expect(dueBacklog([mailbox({ scheduled: 4, due: 0, oldestSendableSeconds: null })])).toEqual({
      scheduled: 4,
      due: { none: 0, sequence: 0, mailbox: 0, capacity: 0 },
      oldestSendableSeconds: 0,
    });
  });

  it('puts emails of inactive sequences first, whatever their mailbox', () => {
    const backlog = dueBacklog([
      mailbox({ due: 10, heldBySequence: 4, mailboxActive: false }),
      mailbox({ due: 6, heldBySequence: 6, oldestSendableSeconds: null }),
    ]);
    expect(backlog.due).toEqual({ none: 0, sequence: 10, mailbox: 6, capacity: 0 });
  });

  it('holds a full or inactive mailbox apart from the waiting time, which is only what the producer is behind on', () => {
    const backlog = dueBacklog([
      mailbox({ due: 7, atCapacity: true, oldestSendableSeconds: 3_600 }),
      mailbox({ due: 2, mailboxActive: false, atCapacity: true, oldestSendableSeconds: 7_200 }),
      mailbox({ due: 1, oldestSendableSeconds: 2 }),
    ]);
    expect(backlog).toEqual({
      scheduled: 36,
      due: { none: 1, sequence: 0, mailbox: 2, capacity: 7 },
      oldestSendableSeconds: 2,
    });
  });
});
