import type { Command } from '@commander-js/extra-typings';
import { describeTopics, ensureTopics } from '@outflow/kafka';
import { wholeNumber } from './arguments.js';
import type { CliContext } from './cli-context.js';
import { connectKafka } from './kafka-connection.js';
import { printRows } from './output.js';

/**
 * The product's topics on a cluster: created where missing with the partition counts the contracts name (a topic's
 * partitions bound how many members of its consumer group do work), or listed against them.
 */
export function registerTopicsCommand(program: Command, context: CliContext): void {
  const { out } = context;
  const topics = program
    .command('topics')
    .description('Kafka topics. Needs KAFKA_BROKERS (and KAFKA_TOPIC_PREFIX when the services use one), no database.');

  topics
    .command('create')
    .description(
      'Create the missing topics with their partition counts (existing ones are left as they are); run before ' +
        'the services. Prints the names it created.',
    )
    .option('--replication-factor <n>', "copies of each partition (default: the cluster's)", wholeNumber(1, 32))
    .action(async ({ replicationFactor }) => {
      const created = await ensureTopics(
        await connectKafka(),
        replicationFactor === undefined ? {} : { replicationFactor },
      );
      out.info(created.length === 0 ? 'every topic exists already' : `created ${created.length} topic(s)`);
      for (const name of created) out.result(name);
    });

  topics
    .command('list')
    .description('Every topic: its partitions and replicas beside what the code expects, or that it is missing.')
    .option('--json', 'print JSON')
    .action(async ({ json }) => {
      const described = await describeTopics(await connectKafka());
      printRows(
        out,
        described,
        [
          { header: 'TOPIC', value: (topic) => topic.name },
          { header: 'PARTITIONS', value: (topic) => (topic.found ? String(topic.found.partitions) : 'missing') },
          { header: 'EXPECTED', value: (topic) => String(topic.expectedPartitions) },
          { header: 'REPLICAS', value: (topic) => (topic.found ? String(topic.found.replicas) : '-') },
        ],
        { json, empty: 'no topics' },
      );
    });
}
