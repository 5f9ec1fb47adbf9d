export { createKafka, type CreateKafkaOptions, type KafkaHandle } from './kafka-client.js';
export { createSchemaCodec, type CreateSchemaCodecOptions, type SchemaCodec } from './schema-codec.js';
export {
  createTypedProducer,
  type CreateTypedProducerOptions,
  type OutgoingMessage,
  type TypedProducer,
} from './typed-producer.js';
export {
  startConsumerLoop,
  type ConsumedMessage,
  type ConsumerLoop,
  type ConsumerLoopOptions,
  type DeadLetterInfo,
} from './consumer-loop.js';
export { assertKafkaReachable, ensureTopics } from './ensure-topics.js';
export { resetGroupToEarliest, type PartitionOffset } from './group-offsets.js';
export {
  enqueueOutbox,
  publishOutbox,
  startOutboxRelay,
  type AnyOutboxMessage,
  type OutboxMessage,
  type OutboxTopic,
} from './outbox.js';
