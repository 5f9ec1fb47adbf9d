import { InvalidArgumentError, Option, type Command } from '@commander-js/extra-typings';
import { deadLetterTopic, topicNames, type DeadLetter, type TopicName } from '@outflow/contracts';
import { readTopic, type KafkaHandle, type SchemaCodec } from '@outflow/kafka';
import { wholeNumber } from './arguments.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { connectKafka, schemaCodecFromEnv } from './kafka-connection.js';
import { printRows, timeCell } from './output.js';

/** A dead letter with where it sits in the dead-letter topic (`partition:offset`, how the commands name it). */
interface StoredDeadLetter {
  position: string;
  letter: DeadLetter;
}

/** Header a replayed message carries: where it came back from, for whoever reads the source topic. */
const replayedFromHeader = 'outflow-replayed-from';

function positionOf(value: string): string {
  if (!/^\d+:\d+$/.test(value)) throw new InvalidArgumentError('not a dead letter (partition:offset, as listed)');
  return value;
}

async function readDeadLetters(kafka: KafkaHandle, codec: SchemaCodec, limit: number): Promise<StoredDeadLetter[]> {
  const stored = await readTopic(kafka, deadLetterTopic, { limit });
  const letters: StoredDeadLetter[] = [];
  for (const message of stored) {
    letters.push({
      position: `${message.partition}:${message.offset}`,
      letter: await codec.decode(deadLetterTopic, message.value),
    });
  }
  return letters;
}

/** The logical topic a dead letter came from (its source_topic is physical: prefixed as the services were). */
function sourceTopicOf(kafka: KafkaHandle, letter: DeadLetter): TopicName | undefined {
  return topicNames.find((topic) => kafka.topic(topic) === letter.source_topic);
}

/** Its original message decoded with the source topic's schema, or why that fails (which may be why it is here). */
async function originalPayload(kafka: KafkaHandle, codec: SchemaCodec, letter: DeadLetter): Promise<unknown> {
  const topic = sourceTopicOf(kafka, letter);
  if (!topic) return { undecodable: `${letter.source_topic} is not a topic of this prefix` };
  try {
    return await codec.decode(topic, letter.value ? Buffer.from(letter.value) : null);
  } catch (error) {
    return { undecodable: (error as Error).message };
  }
}

export function registerDeadLettersCommand(program: Command, context: CliContext): void {
  const { out } = context;
  const deadLetters = program
    .command('dead-letters')
    .description(
      'Messages a consumer could not decode or process, kept whole in the dead-letter topic with the reason. ' +
        'Needs KAFKA_BROKERS and SCHEMA_REGISTRY_URL (and KAFKA_TOPIC_PREFIX as the services have it).',
    );
  const limitOption = () =>
    new Option('--limit <n>', 'read at most this many (the earliest; 1 to 100000)')
      .argParser(wholeNumber(1, 100_000))
      .default(10_000);

  deadLetters
    .command('list')
    .description('List the dead letters, oldest first per partition: where each came from and why.')
    .addOption(limitOption())
    .option('--json', 'print JSON')
    .action(async ({ limit, json }) => {
      const letters = await readDeadLetters(await connectKafka(), schemaCodecFromEnv(), limit);
      printRows(
        out,
        letters.map(({ position, letter }) => ({
          position,
          failedAt: new Date(letter.failed_at),
          source: `${letter.source_topic} ${letter.source_partition}:${letter.source_offset}`,
          group: letter.consumer_group,
          errorCode: letter.error_code,
          errorMessage: letter.error_message,
        })),
        [
          { header: 'DEAD LETTER', value: (row) => row.position },
          { header: 'FAILED', value: (row) => timeCell(row.failedAt) },
          { header: 'FROM', value: (row) => row.source },
          { header: 'GROUP', value: (row) => row.group },
          { header: 'ERROR', value: (row) => `${row.errorCode} ${row.errorMessage}` },
        ],
        { json, empty: 'no dead letters' },
      );
    });

  deadLetters
    .command('show')
    .description('One dead letter whole: its source, key, headers, error and the original message decoded.')
    .argument('<dead-letter>', 'partition:offset, as listed', positionOf)
    .addOption(limitOption())
    .action(async (position, { limit }) => {
      const kafka = await connectKafka();
      const codec = schemaCodecFromEnv();
      const found = (await readDeadLetters(kafka, codec, limit)).find((stored) => stored.position === position);
      if (!found) throw new CliError(`no dead letter ${position} (outflow dead-letters list)`);
      const { letter } = found;
      out.result(
        JSON.stringify(
          {
            deadLetter: position,
            sourceTopic: letter.source_topic,
            sourcePartition: letter.source_partition,
            sourceOffset: letter.source_offset,
            consumerGroup: letter.consumer_group,
            failedAt: new Date(letter.failed_at).toISOString(),
            errorCode: letter.error_code,
            errorMessage: letter.error_message,
            key: letter.key ? Buffer.from(letter.key).toString('utf8') : null,
            headers: letter.headers,
            payload: await originalPayload(kafka, codec, letter),
          },
          null,
          2,
        ),
      );
    });

  deadLetters
    .command('replay')
    .description(
      'Send dead letters back to the topic they came from, after fixing what failed them: the same key, value and ' +
        `headers (so consumers see the same message id and handle it once), plus ${replayedFromHeader}. The ` +
        'consumers are idempotent: a message that was meanwhile handled changes nothing.',
    )
    .argument(
      '[dead-letters...]',
      'partition:offset of each, as listed',
      (value, previous: string[]) => [...previous, positionOf(value)],
      [],
    )
    .option('--all', 'every dead letter')
    .option('--dry-run', 'say what would be sent where, send nothing')
    .addOption(limitOption())
    .action(async (positions, { all, dryRun, limit }) => {
      if (positions.length > 0 === (all === true))
        throw new CliError('name the dead letters or give --all, one of the two');
      const kafka = await connectKafka();
      const letters = await readDeadLetters(kafka, schemaCodecFromEnv(), limit);
      const chosen = all
        ? letters
        : positions.map((position) => letters.find((stored) => stored.position === position));
      const missing = positions.filter((_, index) => chosen[index] === undefined);
      if (missing.length > 0) throw new CliError(`no dead letter ${missing.join(', ')} (outflow dead-letters list)`);
      const replays = (chosen as StoredDeadLetter[]).filter(({ letter }) => {
        if (sourceTopicOf(kafka, letter)) return true;
        out.info(`skipped: ${letter.source_topic} is not a topic of this prefix`);
        return false;
      });
      if (dryRun) {
        for (const { position, letter } of replays) out.result(`would replay ${position} to ${letter.source_topic}`);
        return;
      }
      const producer = kafka.kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
      await producer.connect();
      try {
        for (const { position, letter } of replays) {
          await producer.send({
            topic: letter.source_topic,
            acks: -1,
            messages: [
              {
                key: letter.key ? Buffer.from(letter.key) : null,
                value: letter.value ? Buffer.from(letter.value) : null,
                headers: { ...letter.headers, [replayedFromHeader]: `${kafka.topic(deadLetterTopic)}/${position}` },
              },
            ],
          });
          out.result(`replayed ${position} to ${letter.source_topic}`);
        }
      } finally {
        await producer.disconnect();
      }
      out.info(`replayed ${replays.length} dead letter(s); they stay in the dead-letter topic until it expires them`);
    });
}
