import { Kafka, logLevel } from 'kafkajs';
import { physicalTopic } from '@outflow/contracts';
import type { KafkaCluster, KafkaNode } from '@outflow/stack';
import type { FaultEnvironment } from './fault-environment.js';
import { faultsDuringFlow, sizes, type Scenario } from './scenario-kit.js';

// The broker itself failing: a partition leader dying in a replicated cluster, a broker frozen, a broker killed
// and restarted on its data.

function ownCluster(environment: FaultEnvironment): KafkaCluster {
  const cluster = environment.stack.broker.cluster;
  if (!cluster) throw new Error('a broker scenario needs a Kafka cluster of its own');
  return cluster;
}

function admin(brokers: string[]) {
  return new Kafka({ clientId: 'fault-broker', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } }).admin();
}

/** Each partition of `topic` with its leader's node id, asked of the given brokers. */
async function partitionLeaders(brokers: string[], topic: string): Promise<Map<number, number>> {
  const client = admin(brokers);
  await client.connect();
  try {
    const { topics } = await client.fetchTopicMetadata({ topics: [topic] });
    return new Map((topics[0]?.partitions ?? []).map((partition) => [partition.partitionId, partition.leader]));
  } finally {
    await client.disconnect();
  }
}

/** The node that leads the most partitions of `topic`. */
async function busiestLeader(cluster: KafkaCluster, topic: string): Promise<{ node: KafkaNode; partitions: number }> {
  const leaders = await partitionLeaders(cluster.brokers, topic);
  const led = cluster.nodes.map((node) => ({
    node,
    partitions: [...leaders.values()].filter((leader) => leader === node.id).length,
  }));
  return led.sort((a, b) => b.partitions - a.partitions)[0]!;
}

/** Milliseconds until no partition of `topic` names `deadNode` as its leader, asked of the surviving nodes. */
async function electionMs(cluster: KafkaCluster, deadNode: number, topic: string, since: number): Promise<number> {
  const survivors = cluster.nodes.filter((node) => node.id !== deadNode).map((node) => node.address);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const leaders = await partitionLeaders(survivors, topic).catch(() => undefined);
    if (leaders && leaders.size > 0 && [...leaders.values()].every((leader) => leader !== deadNode && leader >= 0)) {
      return Date.now() - since;
    }
    if (Date.now() > deadline) throw new Error(`no new leader for ${topic} within 60 s of node ${deadNode}'s death`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

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

export const brokerScenarios: Scenario[] = [
  {
    name: 'leader-kill-3-nodes',
    description:
      'a 3-node cluster (replication 3, min.insync.replicas 2): the node leading most email-jobs partitions killed -9 mid-drain and restarted on its data, twice',
    brokerNodes: 3,
    run: async (environment, options) => {
      const cluster = ownCluster(environment);
      const topic = `${environment.stack.topicPrefix}email-jobs`;
      const kills: Array<{ node: number; partitionsLed: number; electedMs: number; restartMs: number }> = [];
      const { sequenceId, lastFaultAt } = await faultsDuringFlow(
        environment,
        { contacts: sizes[options.size].contacts, times: 2, spareShares: 1 },
        async () => {
          const { node, partitions } = await busiestLeader(cluster, topic);
          const killedAt = Date.now();
          await node.kill();
          const electedMs = await electionMs(cluster, node.id, topic, killedAt);
          const restartedAt = Date.now();
          await node.start();
          kills.push({ node: node.id, partitionsLed: partitions, electedMs, restartMs: Date.now() - restartedAt });
        },
      );
      return { sequenceIds: [sequenceId], lastFaultAt, details: { kills } };
    },
  },
  {
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
  },
  {
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
  },
];
