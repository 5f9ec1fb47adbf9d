import { type ServiceName } from '@outflow/stack';
import { loadSequence, type FaultEnvironment } from '../fault-environment.js';
import { sinkReaches, stopService, type Scenario } from '../scenario-kit.js';

// What surrounds the pipeline failing or crawling: the schema registry gone, SMTP servers that greet after
// seconds, and a large backlog drained by a sender that keeps dying.

/**
 * Starts a service again as Kubernetes would after a crash: again and again, a second apart, until it starts.
 * Resolves with how many starts failed first.
 */
async function restartUntilStarted(environment: FaultEnvironment, name: ServiceName): Promise<number> {
  let failed = 0;
  for (;;) {
    try {
      await environment.pipeline.restart(name);
      return failed;
    } catch {
      failed += 1;
      if (failed > 300) throw new Error(`${name} did not start in 300 attempts`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

export const registryDown: Scenario = {
  name: 'registry-down',
  description:
    'the schema registry unreachable mid-run; the sender and the follow-up scheduler restarted during the outage (they cannot start without it, and are started again until they do)',
  run: async (environment, options) => {
    const contacts = options.size === 'quick' ? 60 : 1_000;
    const outageMs = options.size === 'quick' ? 10_000 : 30_000;
    const sequenceId = await loadSequence(environment, { contacts, steps: 2 });
    await sinkReaches(environment, Math.floor(contacts / 2));
    await environment.stack.registry.goDown();
    const downAt = Date.now();
    const restarted: ServiceName[] = ['smtp-sender', 'followup-scheduler'];
    for (const name of restarted) await stopService(environment, name, 'SIGKILL');
    const starting = restarted.map((name) => restartUntilStarted(environment, name));
    // The fault is the outage itself: a fixed length, not a wait for something to happen.
    await new Promise((resolve) => setTimeout(resolve, outageMs - (Date.now() - downAt)));
    const sentDuringOutage = environment.stack.smtp.messages.filter(
      (message) => message.receivedAt.getTime() >= downAt,
    ).length;
    await environment.stack.registry.comeBack();
    const lastFaultAt = Date.now();
    const failedStarts = await Promise.all(starting);
    return {
      sequenceIds: [sequenceId],
      lastFaultAt,
      details: {
        outageMs,
        sentDuringOutage,
        failedStarts: Object.fromEntries(restarted.map((name, index) => [name, failedStarts[index]])),
        startedAfterComeBackMs: Date.now() - lastFaultAt,
      },
    };
  },
};
