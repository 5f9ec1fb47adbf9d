/** One node of a local KRaft cluster, as its server.properties needs it. */
export interface KafkaNodeSpec {
  id: number;
  /** Port of the client (PLAINTEXT) listener on 127.0.0.1. */
  port: number;
  /** Port of the controller listener on 127.0.0.1. */
  controllerPort: number;
  dataDir: string;
}

/**
 * The settings a test or the local stack changes from Kafka's defaults, each for a reason a reader can check.
 * Everything else is Kafka's default, as in production.
 */
const testFriendlySettings: Readonly<Record<string, string>> = {
  // Kafka's default (3 s) delays the first rebalance of every new group so that more members can join it; a test
  // whose consumers join one by one would wait 3 s per group for nothing.
  'group.initial.rebalance.delay.ms': '0',
};

/**
 * Settings every Outflow cluster should have, local or not: topics are created with their partition counts by the
 * stack (and by operators in production), never by a consumer's or producer's first request with 1 partition.
 */
const outflowClusterSettings: Readonly<Record<string, string>> = {
  'auto.create.topics.enable': 'false',
};

/**
 * server.properties of one combined broker/controller node of a KRaft cluster of `nodes` (all combined, static
 * voters), listening on 127.0.0.1 only. With three nodes, every topic and internal topic is replicated three
 * times and a write needs two in-sync replicas (acks=all), as a production cluster would be set up; with one,
 * both are 1.
 */
export function kafkaNodeProperties(
  node: KafkaNodeSpec,
  nodes: readonly KafkaNodeSpec[],
  extra: Readonly<Record<string, string>> = {},
): string {
  const replication = nodes.length >= 3 ? 3 : 1;
  const minInSync = replication === 3 ? 2 : 1;
  const settings: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(node.id),
    'controller.quorum.voters': nodes.map((voter) => `${voter.id}@127.0.0.1:${voter.controllerPort}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': node.dataDir,
    'default.replication.factor': String(replication),
    'min.insync.replicas': String(minInSync),
    'offsets.topic.replication.factor': String(replication),
    'transaction.state.log.replication.factor': String(replication),
    'transaction.state.log.min.isr': String(minInSync),
    'share.coordinator.state.topic.replication.factor': String(replication),
    'share.coordinator.state.topic.min.isr': String(minInSync),
    ...outflowClusterSettings,
    ...testFriendlySettings,
    ...extra,
  };
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/**
 * A new KRaft cluster id: 16 random bytes in Kafka's base64url form. Ids starting with "-" are drawn again: the
 * format tool would read one as an option.
 */
export function newClusterId(randomBytes: (size: number) => Buffer): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
