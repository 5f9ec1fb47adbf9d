import { faultsDuringFlow, sizes, type Scenario } from '../scenario-kit.js';

export const senderKill9: Scenario = {
  name: 'sender-kill-9',
  description: 'kill -9 the SMTP sender at random points while emails flow, then restart it',
  run: async (environment, options) => {
    const { contacts, kills } = sizes[options.size];
    const { sequenceId, lastFaultAt } = await faultsDuringFlow(
      environment,
      { contacts, times: kills, spareShares: 1 },
      async () => {
        environment.pipeline.processes.get('smtp-sender')!.kill('SIGKILL');
        await environment.pipeline.restart('smtp-sender');
      },
    );
    return { sequenceIds: [sequenceId], lastFaultAt, details: { kills } };
  },
};
