import { loadSequence } from '../fault-environment.js';
import { type Scenario } from '../scenario-kit.js';

export const replicasAndDayRollover: Scenario = {
  name: 'replicas-and-day-rollover',
  description:
    'two producers and two senders at once, capacity-bound mailboxes in three time zones, several day rollovers',
  // Three-second days: the run crosses several mailbox-local midnights.
  env: { OUTFLOW_DAY_SECONDS: '3' },
  run: async (environment, options) => {
    await environment.pipeline.addReplica('cron-producer');
    await environment.pipeline.addReplica('smtp-sender');
    const contacts = options.size === 'quick' ? 150 : 1_500;
    const sequenceId = await loadSequence(environment, {
      contacts,
      steps: 1,
      mailboxes: 3,
      capacity: options.size === 'quick' ? 20 : 100,
      timeZones: ['UTC', 'Asia/Kathmandu', 'America/St_Johns'],
    });
    return { sequenceIds: [sequenceId], lastFaultAt: Date.now(), details: { producers: 2, senders: 2, contacts } };
  },
};
