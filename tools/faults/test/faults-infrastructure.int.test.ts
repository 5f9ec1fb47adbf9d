import { describe, it } from '@jest/globals';
import { expectGuaranteeHeld, scenarioTimeoutMs } from './expect-guarantee.js';

/**
 * The CI summary of the fault suite, second half: the broker, PostgreSQL, the SMTP server and the messages
 * misbehaving (`npm run test:faults` runs the full sizes and writes the report).
 */
describe('fault injection, quick size: infrastructure faults', () => {
  it.each([
    'redeliver-everything',
    'group-reset-to-earliest',
    'broker-loss',
    'postgres-outage',
    'smtp-faults',
    'malformed-messages',
  ])('%s keeps the delivery guarantee', (name) => expectGuaranteeHeld(name), scenarioTimeoutMs);
});
