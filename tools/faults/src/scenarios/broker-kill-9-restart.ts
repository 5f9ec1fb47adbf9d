import { physicalTopic } from '@outflow/contracts';
import { faultsDuringFlow, sizes, type Scenario } from '../scenario-kit.js';
import { ownCluster, admin } from '../broker-kit.js';

/**
 * Messages in every partition of `topic` (its end offsets), as the broker acknowledges them. Asked again while a
 * restarted node is still taking its partitions' leadership back (NOT_LEADER_OR_FOLLOWER for a few seconds).
 */
async function endOffsetSum(brokers: string[], topic: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = admin(brokers);
    try {
      await client.connect();
      const offsets = await client.fetchTopicOffsets(topic);
      return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await client.disconnect();
    }
  }
}

export const brokerKill9Restart: Scenario = {
  name: 'broker-kill-9-restart',
  description:
    'the single broker killed -9 mid-drain and restarted on its data: every message it acknowledged is still there',
  run: async (environment, options) => {
    const cluster = ownCluster(environment);
    const node = cluster.nodes[0]!;
    const times = options.size === 'quick' ? 1 : 3;
    const topics = (['email-jobs', 'followup-events'] as const).map((name) =>
      physicalTopic(name, environment.stack.topicPrefix),
    );
    const restarts: Array<{ restartMs: number; before: number[]; after: number[] }> = [];
    const { sequenceId, lastFaultAt } = await faultsDuringFlow(
      environment,
      { contacts: sizes[options.size].contacts, times, spareShares: 1 },
      async () => {
        // Read before the kill, these offsets were acknowledged; after the restart each end may only be further.
        const before = await Promise.all(topics.map((topic) => endOffsetSum(cluster.brokers, topic)));
        await node.kill();
        const restartedAt = Date.now();
        await node.start();
        const restartMs = Date.now() - restartedAt;
        const after = await Promise.all(topics.map((topic) => endOffsetSum(cluster.brokers, topic)));
        restarts.push({ restartMs, before, after });
      },
    );
    const mismatches = restarts
      .flatMap(({ before, after }) =>
        topics.map((topic, index) => ({ topic, before: before[index]!, after: after[index]! })),
      )
      .filter(({ before, after }) => after < before)
      .map((lost) => ({ acknowledgedMessagesLost: lost }));
    return { sequenceIds: [sequenceId], lastFaultAt, details: { restarts, mismatches } };
  },
};
