import { describe, expect, it } from '@jest/globals';
import { createTestDatabase } from '@outflow/db/testing';
import { runScenario } from '../src/index.js';

/**
 * The CI summary of the fault-injection suite (`pnpm test:faults` runs the full sizes and writes the report):
 * each scenario at the quick size must keep the guarantee: no duplicate beyond uncertain, none lost, no
 * capacity overrun, everything terminal or uncertain.
 */
describe('fault injection (quick summary)', () => {
  const options = { createDatabase: () => createTestDatabase(), size: 'quick' as const };

  it.each([
    'sender-kill-9',
    'sender-crash-after-250',
    'producer-crash-after-claim-and-publish',
    'redeliver-everything',
    'smtp-faults',
    'malformed-messages',
    'replicas-and-day-rollover',
  ])(
    '%s keeps the delivery guarantee',
    async (name) => {
      const result = await runScenario(name, options);
      expect(result.measurement).toMatchObject({ duplicates: 0, lost: 0, overrunDays: [], pending: 0 });
      expect(result.details?.['mismatches'] ?? []).toEqual([]);
      expect(result.passed).toBe(true);
    },
    240_000,
  );

  it('reports a scenario it cannot run here, with the reason, instead of passing it', async () => {
    const result = await runScenario('group-reset-to-earliest', options);
    expect(result).toMatchObject({ ran: false, passed: false, reason: expect.stringContaining('mock broker') });
  });
});
