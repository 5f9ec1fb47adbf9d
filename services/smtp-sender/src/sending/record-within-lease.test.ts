import { describe, expect, it } from '@jest/globals';
import { createLogger } from '@outflow/telemetry';
import { recordWithinLease } from './record-within-lease.js';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('recordWithinLease', () => {
  it('retries a failing write until it succeeds while the lease lasts', async () => {
    let calls = 0;
    const result = await recordWithinLease(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('Connection terminated unexpectedly');
        return 'recorded';
      },
      { leaseDeadline: Date.now() + 60_000, logger, initialDelayMs: 1 },
    );
    expect({ result, calls }).toEqual({ result: 'recorded', calls: 3 });
  });

  it('gives up with the write error once another try would outlast the lease', async () => {
    let calls = 0;
    let clock = 0;
    const attempt = recordWithinLease(
      async () => {
        calls += 1;
        clock += 400;
        throw new Error(`down ${calls}`);
      },
      { leaseDeadline: 1_000, logger, now: () => clock, initialDelayMs: 1 },
    );
    await expect(attempt).rejects.toThrow('down 3');
  });
});
