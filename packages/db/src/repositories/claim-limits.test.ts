import { describe, expect, it } from '@jest/globals';
import { claimLimits } from './claim-limits.js';

const open = (...remaining: number[]) => remaining.map((left) => ({ remaining: left }));

describe('claimLimits', () => {
  it('gives each mailbox its remaining capacity, capped per mailbox, while the queue has room', () => {
    expect(claimLimits(open(5, 800, 0), { maxPerMailbox: 500, maxQueued: 10_000, inFlight: 0, start: 0 })).toEqual([
      5, 500, 0,
    ]);
  });

  it('splits what the queue has left evenly, the remainder one each from the start mailbox on, wrapping', () => {
    const options = { maxPerMailbox: 500, maxQueued: 100, inFlight: 95 };
    expect(claimLimits(open(9, 9, 9), { ...options, start: 0 })).toEqual([2, 2, 1]);
    expect(claimLimits(open(9, 9, 9), { ...options, start: 2 })).toEqual([2, 1, 2]);
    expect(claimLimits(open(9, 9, 9, 9), { ...options, inFlight: 98, start: 3 })).toEqual([1, 0, 0, 1]);
  });

  it('never adds up to more than the queue has left, and claims nothing once it is full', () => {
    const limits = claimLimits(open(50, 1, 50, 50), { maxPerMailbox: 500, maxQueued: 60, inFlight: 0, start: 1 });
    expect(limits).toEqual([15, 1, 15, 15]);
    expect(limits.reduce((sum, limit) => sum + limit, 0)).toBeLessThanOrEqual(60);
    expect(claimLimits(open(9, 9), { maxPerMailbox: 500, maxQueued: 100, inFlight: 130, start: 0 })).toEqual([0, 0]);
  });

  it('keeps the whole claim within a limit (a drain of at most N), split as the queue room is', () => {
    const options = { maxPerMailbox: 500, maxQueued: 10_000, inFlight: 0, start: 0 };
    expect(claimLimits(open(50, 50, 50), { ...options, limit: 7 })).toEqual([3, 2, 2]);
    expect(claimLimits(open(1, 50), { ...options, limit: 100 })).toEqual([1, 50]);
    expect(claimLimits(open(50, 50), { ...options, limit: 0 })).toEqual([0, 0]);
  });
});
