import type { AvroRecord, AvroValue } from './avro.js';
import { deadLetterV1 } from './schemas/dead-letter.v1.js';
import { emailEventV1 } from './schemas/email-event.v1.js';
import { emailJobV1 } from './schemas/email-job.v1.js';
import { emailRetryV1 } from './schemas/email-retry.v1.js';
import { followupEventV1 } from './schemas/followup-event.v1.js';

export type EmailJob = AvroValue<typeof emailJobV1>;
export type FollowupEvent = AvroValue<typeof followupEventV1>;
export type EmailRetry = AvroValue<typeof emailRetryV1>;
export type EmailEvent = AvroValue<typeof emailEventV1>;
export type DeadLetter = AvroValue<typeof deadLetterV1>;

interface TopicContract<Payload> {
  /** The current schema; registered under the subject `<topic>-value`. */
  schema: AvroRecord;
  /** The partition key of a message. Messages with one key keep their order. */
  key: (payload: Payload) => string;
  /** Partitions to create the topic with (where the broker lets us create topics). */
  partitions: number;
}

function contract<Payload>(definition: TopicContract<Payload>): TopicContract<Payload> {
  return definition;
}

/** The dead-letter topic's name; every consumer sends what it cannot process here. */
export const deadLetterTopic = 'outflow-dead-letters';

/**
 * Every topic, its schema and key. Producing or consuming goes through this map, so the wrong payload for a
 * topic does not compile. A breaking change to a schema is a new version (a new file), never an edit.
 */
export const topicContracts = {
  'email-jobs': contract<EmailJob>({ schema: emailJobV1, key: (job) => job.mailbox_id, partitions: 12 }),
  'followup-events': contract<FollowupEvent>({
    schema: followupEventV1,
    key: (event) => event.sequence_contact_id,
    partitions: 6,
  }),
  'email-retries': contract<EmailRetry>({ schema: emailRetryV1, key: (retry) => retry.email_id, partitions: 6 }),
  'email-events': contract<EmailEvent>({
    schema: emailEventV1,
    key: (event) => event.email_id ?? event.event_id,
    partitions: 6,
  }),
  [deadLetterTopic]: contract<DeadLetter>({
    schema: deadLetterV1,
    key: (letter) => letter.key?.toString('utf8') ?? `${letter.source_topic}:${letter.source_partition}`,
    partitions: 3,
  }),
} as const;

export type TopicName = keyof typeof topicContracts;

/** The payload type of a topic. */
export type PayloadOf<T extends TopicName> = (typeof topicContracts)[T] extends TopicContract<infer P> ? P : never;

export const topicNames = Object.keys(topicContracts) as TopicName[];

/** The schema registry subject of a topic's values (TopicNameStrategy). */
export function subjectOf(topic: TopicName): string {
  return `${topic}-value`;
}

/**
 * Topic names with a prefix, for tests and parallel environments that share one broker. The contracts (schema,
 * key) stay those of the logical topic.
 */
export function physicalTopic(topic: TopicName, prefix = ''): string {
  return `${prefix}${topic}`;
}
