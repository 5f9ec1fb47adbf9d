import { loadSequence } from '../fault-environment.js';
import { settle, sizes, superviseRestarts, type Scenario } from '../scenario-kit.js';

export const senderCrashAfter250: Scenario = {
  name: 'sender-crash-after-250',
  description: 'the sender dies exactly between the SMTP 250 and its commit (failpoint), repeatedly',
  run: async (environment, options) => {
    const { contacts } = sizes[options.size];
    // About 4 crashes at the quick size and 10 at the full one: each costs a restart and a group rejoin (~5 s).
    const rate = options.size === 'quick' ? 0.03 : 0.005;
    const env = { OUTFLOW_FAILPOINTS: `sender.after-smtp-before-commit=${rate}` };
    await environment.pipeline.processes.get('smtp-sender')!.kill('SIGTERM');
    await environment.pipeline.processes.get('smtp-sender')!.waitForExit();
    await environment.pipeline.restart('smtp-sender', env);
    const sequenceId = await loadSequence(environment, { contacts, steps: 2 });
    let release!: () => void;
    const finished = new Promise<void>((resolve) => {
      release = resolve;
    });
    const supervisor = superviseRestarts(environment, 'smtp-sender', env, finished);
    const measurement = await settle(environment, [sequenceId], 120_000);
    release();
    await supervisor.watching;
    return {
      sequenceIds: [sequenceId],
      lastFaultAt: Date.now(),
      details: { crashes: supervisor.restarts(), settledPending: measurement.pending },
    };
  },
};
