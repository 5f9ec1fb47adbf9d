import type { KafkaCluster, KafkaNode } from '@outflow/stack';
import { faultsDuringFlow, sizes, type Scenario } from '../scenario-kit.js';
import { ownCluster, admin } from '../broker-kit.js';

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

export const leaderKill3Nodes: Scenario = {
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
};
