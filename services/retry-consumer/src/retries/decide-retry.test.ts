import { describe, expect, it } from '@jest/globals';
import { decideRetry } from './decide-retry.js';

const delayFor = (retryCount: number) => 1_000 * 2 ** retryCount;

describe('decideRetry', () => {
  it('sends a temporary failure again after the delay of its retry count while retries are left', () => {
    expect(decideRetry({ kind: 'temporary', retryCount: 0, maxRetries: 3 }, delayFor)).toEqual({
      action: 'reschedule',
      delayMs: 1_000,
    });
    expect(decideRetry({ kind: 'temporary', retryCount: 2, maxRetries: 3 }, delayFor)).toEqual({
      action: 'reschedule',
      delayMs: 4_000,
    });
  });

  it('fails a temporary failure that used its last retry', () => {
    expect(decideRetry({ kind: 'temporary', retryCount: 3, maxRetries: 3 }, delayFor)).toEqual({ action: 'fail' });
    expect(decideRetry({ kind: 'temporary', retryCount: 0, maxRetries: 0 }, delayFor)).toEqual({ action: 'fail' });
  });

  it('fails a permanent failure at once, retries left or not', () => {
    expect(decideRetry({ kind: 'permanent', retryCount: 0, maxRetries: 3 }, delayFor)).toEqual({ action: 'fail' });
  });
});
