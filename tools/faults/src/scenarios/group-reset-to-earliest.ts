import { createKafka, resetGroupToEarliest } from '@outflow/kafka';
import { createLogger } from '@outflow/telemetry';
import { loadSequence } from '../fault-environment.js';
import { groupCaughtUp, retainedMessages, sinkReaches, sizes, type Scenario } from '../scenario-kit.js';

export const groupResetToEarliest: Scenario = {
  name: 'group-reset-to-earliest',
  description: 'every consumer group reset to the earliest offset mid-run: all consumed messages arrive again',
  run: async (environment, options) => {
    const { contacts } = sizes[options.size];
    const sequenceId = await loadSequence(environment, { contacts, steps: 2 });
    await sinkReaches(environment, contacts);
    const groups = [
      { service: 'smtp-sender', topic: 'email-jobs' },
      { service: 'followup-scheduler', topic: 'followup-events' },
      { service: 'retry-consumer', topic: 'email-retries' },
    ] as const;
    for (const { service } of groups) environment.pipeline.processes.get(service)!.kill('SIGTERM');
    for (const { service } of groups) await environment.pipeline.processes.get(service)!.waitForExit(30_000);
    const handle = createKafka({
      brokers: environment.stack.broker.brokers,
      clientId: 'fault-reset',
      logger: createLogger({ service: 'faults', level: 'silent' }),
      namePrefix: environment.stack.topicPrefix,
    });
    const replayed: Record<string, number> = {};
    for (const { service, topic } of groups) {
      await resetGroupToEarliest(handle, { groupId: service, topic });
      replayed[topic] = await retainedMessages(handle, topic);
    }
    for (const { service } of groups) await environment.pipeline.restart(service);
    const lastFaultAt = Date.now();
    // Settled is not enough: the replayed messages must all have been consumed again before measuring.
    for (const { service, topic } of groups) await groupCaughtUp(handle, service, topic);
    return { sequenceIds: [sequenceId], lastFaultAt, details: { replayedMessages: replayed } };
  },
};
