import { randomUUID } from 'node:crypto';
import { CompressionTypes, Partitioners, type Producer } from 'kafkajs';
import { encodeHeaders, topicContracts, type PayloadOf, type TopicName } from '@outflow/contracts';
import type { KafkaHandle } from './kafka-client.js';
import type { SchemaCodec } from './schema-codec.js';

interface OutgoingMessage<T extends TopicName> {
  payload: PayloadOf<T>;
  /** Default: a new UUID. Pass the original id when republishing a logical message, so consumers de-duplicate. */
  messageId?: string;
  /** Default 1; republish/replay increments it. */
  attempt?: number;
  /** Default: the topic's key function applied to the payload. */
  key?: string;
  /** Extra headers, e.g. W3C trace context. */
  headers?: Record<string, string>;
}

export interface TypedProducer {
  /** Sends messages of one topic in one request; resolves once the broker acknowledged all of them (acks=all). */
  send<T extends TopicName>(topic: T, messages: readonly OutgoingMessage<T>[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface CreateTypedProducerOptions {
  kafka: KafkaHandle;
  codec: SchemaCodec;
}

/** Connects a producer whose send only accepts each topic's own payload type. */
export async function createTypedProducer(options: CreateTypedProducerOptions): Promise<TypedProducer> {
  const producer: Producer = options.kafka.kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return {
    async send(topic, messages) {
      if (messages.length === 0) return;
      const contract = topicContracts[topic];
      const producedAt = Date.now();
      await producer.send({
        topic: options.kafka.topic(topic),
        acks: -1,
        compression: CompressionTypes.None,
        messages: messages.map((message) => ({
          key: message.key ?? (contract.key as (payload: PayloadOf<typeof topic>) => string)(message.payload),
          value: options.codec.encode(topic, message.payload),
          headers: {
            ...message.headers,
            ...encodeHeaders({
              messageId: message.messageId ?? randomUUID(),
              attempt: message.attempt ?? 1,
              producedAt,
            }),
          },
        })),
      });
    },
    disconnect: () => producer.disconnect(),
  };
}
