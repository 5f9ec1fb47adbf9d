import { describe, it } from '@jest/globals';
import { expectGuaranteeHeld, scenarioTimeoutMs } from './expect-guarantee.js';

/**
 * The CI summary of the fault suite, third part: Kafka itself failing (a leader of three killed, the broker frozen,
 * killed and restarted on its data), the schema registry gone, SMTP tarpits, and a backlog drained by a dying
 * sender (`npm run test:faults` runs the full sizes and writes the report).
 */
describe('fault injection, quick size: the broker and outages', () => {
  it.each([
    'leader-kill-3-nodes',
    'broker-paused',
    'broker-kill-9-restart',
    'registry-down',
    'smtp-tarpit',
    'backlog-sender-kill-9',
  ])('%s keeps the delivery guarantee', (name) => expectGuaranteeHeld(name), scenarioTimeoutMs);
});
