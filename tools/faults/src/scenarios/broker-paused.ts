import { faultsDuringFlow, sizes, type Scenario } from '../scenario-kit.js';
import { ownCluster } from '../broker-kit.js';

export const brokerPaused: Scenario = {
  name: 'broker-paused',
  description: 'the single broker frozen (SIGSTOP) mid-drain, as in a long GC pause or a stalled VM, then resumed',
  run: async (environment, options) => {
    const node = ownCluster(environment).nodes[0]!;
    const pauseMs = options.size === 'quick' ? 10_000 : 30_000;
    const { sequenceId, lastFaultAt } = await faultsDuringFlow(
      environment,
      { contacts: sizes[options.size].contacts, times: 1, spareShares: 2 },
      async () => {
        node.pause();
        // The fault is the pause itself: a fixed length, not a wait for something to happen.
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
        node.resume();
      },
    );
    return { sequenceIds: [sequenceId], lastFaultAt, details: { pauseMs } };
  },
};
