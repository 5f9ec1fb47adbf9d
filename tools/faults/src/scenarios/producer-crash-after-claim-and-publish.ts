import { loadSequence } from '../fault-environment.js';
import { settle, sizes, superviseRestarts, type Scenario } from '../scenario-kit.js';

export const producerCrashAfterClaimAndPublish: Scenario = {
  name: 'producer-crash-after-claim-and-publish',
  description: 'the producer dies right after its claim commit and right after publishing, repeatedly',
  run: async (environment, options) => {
    const { contacts } = sizes[options.size];
    const env = { OUTFLOW_FAILPOINTS: 'producer.after-claim-commit=0.3,producer.after-publish=0.3' };
    await environment.pipeline.processes.get('cron-producer')!.kill('SIGTERM');
    await environment.pipeline.processes.get('cron-producer')!.waitForExit();
    const sequenceId = await loadSequence(environment, { contacts, steps: 2 });
    await environment.pipeline.restart('cron-producer', env).catch(() => undefined);
    let release!: () => void;
    const finished = new Promise<void>((resolve) => {
      release = resolve;
    });
    const supervisor = superviseRestarts(environment, 'cron-producer', env, finished);
    await settle(environment, [sequenceId], 120_000);
    release();
    await supervisor.watching;
    return { sequenceIds: [sequenceId], lastFaultAt: Date.now(), details: { crashes: supervisor.restarts() } };
  },
};
