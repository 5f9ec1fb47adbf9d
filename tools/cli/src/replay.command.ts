import { InvalidArgumentError, Option, type Command } from '@commander-js/extra-typings';
import { consumerGroupOf } from '@outflow/contracts';
import { rewindGroup } from '@outflow/kafka';
import { isAppError } from '@outflow/runtime';
import { pointInTime } from './arguments.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { connectKafka } from './kafka-connection.js';
import { printRows } from './output.js';

const replayableTopics = Object.keys(consumerGroupOf) as Array<keyof typeof consumerGroupOf>;

function partitionOffset(value: string): { partition: number; offset: string } {
  const match = /^(\d+):(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError('must be partition:offset, e.g. 3:1200');
  return { partition: Number(match[1]), offset: match[2]! };
}

export function registerReplayCommand(program: Command, context: CliContext): void {
  program
    .command('replay')
    .description(
      "Re-drive a topic through its consumers' idempotent handlers (a backfill, or after a fix): moves the topic's " +
        'consumer group back to a time (each partition from its first message at or after it) or to one ' +
        "partition's offset, never forward. The group must be stopped: scale its service to 0, replay, scale it " +
        'back; it then handles everything from there again, and what was handled before changes nothing. Needs ' +
        'KAFKA_BROKERS (and KAFKA_TOPIC_PREFIX as the services have it).',
    )
    .addOption(new Option('--topic <topic>', 'the topic').choices(replayableTopics).makeOptionMandatory())
    .option('--group <group>', "its consumer group (default: the service's own, e.g. smtp-sender for email-jobs)")
    .option('--from-time <time>', 'from this time: ISO 8601, or a duration back (2h, 1d)', pointInTime())
    .option('--from-offset <partition:offset>', 'from this offset of one partition (the others stay)', partitionOffset)
    .option('--dry-run', 'say what would be replayed, change nothing')
    .option('--json', 'print JSON')
    .action(async ({ topic, group, fromTime, fromOffset, dryRun, json }) => {
      if ((fromTime === undefined) === (fromOffset === undefined)) {
        throw new CliError('give --from-time or --from-offset, one of the two');
      }
      const groupId = group ?? consumerGroupOf[topic];
      const kafka = await connectKafka();
      const rewinds = await rewindGroup(kafka, {
        groupId,
        topic,
        from: fromTime ? { time: fromTime } : fromOffset!,
        dryRun: dryRun ?? false,
      }).catch((error: unknown) => {
        // A group still running or an offset the partition does not hold: nothing was changed.
        if (isAppError(error) && ['GROUP_NOT_EMPTY', 'INVALID_OFFSET'].includes(error.code)) {
          throw new CliError(error.message);
        }
        throw error;
      });
      printRows(
        context.out,
        rewinds,
        [
          { header: 'PARTITION', value: (row) => String(row.partition) },
          { header: 'WAS AT', value: (row) => row.committed ?? 'never committed' },
          { header: 'FROM', value: (row) => row.to },
          { header: 'MESSAGES', value: (row) => String(row.messages) },
        ],
        { json, empty: 'nothing to replay' },
      );
      const total = rewinds.reduce((sum, row) => sum + row.messages, 0);
      context.out.info(
        `${dryRun ? 'would move' : 'moved'} group ${kafka.group(groupId)} on ${kafka.topic(topic)}: ${total} ` +
          `message(s) to handle again${dryRun ? ' (nothing was changed)' : '; start its consumers'}`,
      );
    });
}
