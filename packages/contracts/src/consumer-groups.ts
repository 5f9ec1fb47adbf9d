import type { TopicName } from './topics.js';

/**
 * The consumer group that consumes each topic (with KAFKA_TOPIC_PREFIX in front on the cluster): the one the
 * services join, and the one an operator resets to replay the topic.
 */
export const consumerGroupOf = {
  'email-jobs': 'smtp-sender',
  'followup-events': 'followup-scheduler',
  'email-retries': 'retry-consumer',
} as const satisfies Partial<Record<TopicName, string>>;
