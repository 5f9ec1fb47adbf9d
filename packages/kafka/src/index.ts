export { createKafka, withAdmin, type KafkaHandle } from './kafka-client.js';
export { createSchemaCodec, type SchemaCodec } from './schema-codec.js';
export { createTypedProducer, type TypedProducer } from './typed-producer.js';
export {
  startConsumerLoop,
  type ConsumedMessage,
  type ConsumerLoop,
  type ConsumerLoopOptions,
  type DeadLetterInfo,
} from './consumer-loop.js';
export { assertKafkaReachable, describeTopics, ensureTopics } from './ensure-topics.js';
export { fetchGroupLag, resetGroupToEarliest, rewindGroup } from './group-offsets.js';
export { enqueueOutbox, publishOutbox, startOutboxRelay, type OutboxMessage } from './outbox.js';
export { readTopic } from './read-topic.js';
export { publishClaimed } from './publish-claimed.js';
export { markUncertainSent } from './resolve-uncertain.js';
