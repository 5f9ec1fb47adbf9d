import { describe, expect, it } from '@jest/globals';
import { retryDelayMs } from './backoff.js';

describe('retryDelayMs', () => {
  const settings = { baseMs: 60_000, maxMs: 3_600_000, jitter: 0.2 };
  it('doubles from the base: 1, 2, 4 minutes without jitter', () => {
    expect([0, 1, 2].map((count) => retryDelayMs(count, settings, () => 0.5))).toEqual([60_000, 120_000, 240_000]);
  });
  it('spreads by at most the jitter fraction and stops at the cap', () => {
    expect(retryDelayMs(0, settings, () => 0)).toBe(48_000);
    expect(retryDelayMs(0, settings, () => 1)).toBe(72_000);
    expect(retryDelayMs(20, { ...settings, jitter: 0 })).toBe(3_600_000);
  });
});
