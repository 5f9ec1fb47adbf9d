import { faultsDuringFlow, sizes, type Scenario } from '../scenario-kit.js';

export const brokerLoss: Scenario = {
  name: 'broker-loss',
  description: 'the broker killed and replaced by an empty one at the same address (total broker data loss), mid-run',
  run: async (environment, options) => {
    const { contacts } = sizes[options.size];
    const losses = options.size === 'quick' ? 1 : 3;
    const { sequenceId, lastFaultAt } = await faultsDuringFlow(
      environment,
      { contacts, times: losses, spareShares: 2 },
      () => environment.stack.broker.replace(),
    );
    return { sequenceIds: [sequenceId], lastFaultAt, details: { brokerReplacements: losses } };
  },
};
