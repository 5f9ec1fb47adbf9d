import { type RunningProcess } from '@outflow/stack';
import { faultsDuringFlow, joinReplicas, sizes, type Scenario } from '../scenario-kit.js';

export const rebalanceStorm: Scenario = {
  name: 'rebalance-storm',
  description: 'sender and scheduler replicas joining and leaving (graceful and kill -9) while emails flow',
  run: async (environment, options) => {
    const { contacts } = sizes[options.size];
    const waves = options.size === 'quick' ? 3 : 10;
    let joined: RunningProcess[] = await joinReplicas(environment);
    const { sequenceId, lastFaultAt } = await faultsDuringFlow(
      environment,
      { contacts, times: waves, spareShares: 2 },
      async (wave) => {
        // Half the waves leave gracefully, half die: both must hand their partitions over without loss.
        joined.forEach((replica) => replica.kill(wave % 2 === 0 ? 'SIGKILL' : 'SIGTERM'));
        await Promise.all(joined.map((replica) => replica.waitForExit(30_000)));
        joined = wave < waves ? await joinReplicas(environment) : [];
      },
    );
    return { sequenceIds: [sequenceId], lastFaultAt, details: { waves, replicasPerWave: 2 } };
  },
};
