import { describe, it } from '@jest/globals';
import { expectGuaranteeHeld, scenarioTimeoutMs } from './expect-guarantee.js';

/**
 * The CI summary of the fault suite, first half: processes dying, restarting, multiplying, and their clocks wrong
 * (`npm run test:faults` runs the full sizes and writes the report).
 */
describe('fault injection, quick size: process faults', () => {
  it.each([
    'sender-kill-9',
    'sender-crash-after-250',
    'producer-crash-after-claim-and-publish',
    'rebalance-storm',
    'replicas-and-day-rollover',
    'clock-skew',
  ])('%s keeps the delivery guarantee', (name) => expectGuaranteeHeld(name), scenarioTimeoutMs);
});
