import { kafkaBrokers, kafkaEnv, parseEnv } from '@outflow/config';
import { assertKafkaReachable, createKafka, describeTopics, ensureTopics } from '@outflow/kafka';
import { createLogger } from '@outflow/telemetry';
import { CliError, type Output } from './cli-error.js';

const usage = `usage:
  outflow topics create [--replication-factor <n>]   create the missing topics with their partition counts
                                                     (existing ones are left as they are); run before the services
  outflow topics list                                every topic: its partitions, replicas, or that it is missing
Needs KAFKA_BROKERS (and KAFKA_TOPIC_PREFIX when the services use one).`;

/** Reads --replication-factor: a whole number of brokers, or undefined for the cluster's default. */
function replicationFactorOf(args: string[]): number | undefined {
  const index = args.indexOf('--replication-factor');
  if (index === -1) return undefined;
  const value = Number(args[index + 1]);
  if (!Number.isInteger(value) || value < 1)
    throw new CliError(`--replication-factor takes a whole number >= 1\n${usage}`);
  return value;
}

/**
 * The product's topics on a cluster: created where missing with the partition counts the contracts name (a topic's
 * partitions bound how many members of its consumer group do work), or listed against them.
 */
export async function runTopicsCommand(args: string[], out: Output): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'create' && action !== 'list') throw new CliError(usage);
  const replicationFactor = action === 'create' ? replicationFactorOf(rest) : undefined;
  const config = parseEnv({ KAFKA_BROKERS: kafkaBrokers, KAFKA_TOPIC_PREFIX: kafkaEnv.KAFKA_TOPIC_PREFIX });
  await assertKafkaReachable(config.KAFKA_BROKERS);
  const handle = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: 'outflow-cli',
    // Failures are thrown and printed; kafkajs's own chatter would only mix into the output.
    logger: createLogger({ service: 'outflow-cli', level: 'silent' }),
    namePrefix: config.KAFKA_TOPIC_PREFIX,
  });
  if (action === 'create') {
    const created = await ensureTopics(handle, replicationFactor === undefined ? {} : { replicationFactor });
    out.info(created.length === 0 ? 'every topic exists already' : `created ${created.length} topic(s)`);
    for (const name of created) out.result(name);
    return;
  }
  for (const topic of await describeTopics(handle)) {
    if (!topic.found) {
      out.result(`${topic.name}  missing (needs ${topic.expectedPartitions} partitions)`);
      continue;
    }
    const { partitions, replicas } = topic.found;
    const mismatch = partitions === topic.expectedPartitions ? '' : ` (the contract says ${topic.expectedPartitions})`;
    out.result(`${topic.name}  ${partitions} partitions${mismatch}, ${replicas} replica(s)`);
  }
}
