import { randomUUID } from 'node:crypto';
import { CompressionTypes, Partitioners, type Producer } from 'kafkajs';
import { encodeHeaders, topicContracts, type PayloadOf, type TopicName } from '@outflow/contracts';
import { context, failSpan, propagation, SpanKind, trace, tracer, type Context, type Link } from '@outflow/telemetry';
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
  /**
   * The trace the message belongs to: its send span is a child of `parent` (default the active context), and the
   * consumer's span a child of that. `links` name other spans it relates to (the claim that published it).
   */
  trace?: { parent?: Context; links?: Link[] };
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
      const physical = options.kafka.topic(topic);
      const producedAt = Date.now();
      // One span per message, each in its own message's trace (a batch can carry many emails' traces); the
      // propagator writes the span's context into the message's headers.
      const traced = messages.map((message) => {
        const parent = message.trace?.parent ?? context.active();
        const span = tracer.startSpan(
          `send ${physical}`,
          {
            kind: SpanKind.PRODUCER,
            links: message.trace?.links ?? [],
            attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': physical },
          },
          parent,
        );
        return { span, context: trace.setSpan(parent, span) };
      });
      try {
        await producer.send({
          topic: physical,
          acks: -1,
          compression: CompressionTypes.None,
          messages: messages.map((message, index) => {
            const messageId = message.messageId ?? randomUUID();
            const attempt = message.attempt ?? 1;
            const { span, context: sent } = traced[index]!;
            span.setAttributes({ 'messaging.message.id': messageId, 'outflow.attempt': attempt });
            const headers = encodeHeaders({ messageId, attempt, producedAt });
            propagation.inject(sent, headers);
            return {
              key: message.key ?? (contract.key as (payload: PayloadOf<typeof topic>) => string)(message.payload),
              value: options.codec.encode(topic, message.payload),
              headers,
            };
          }),
        });
      } catch (error) {
        for (const { span } of traced) failSpan(span, error);
        throw error;
      } finally {
        for (const { span } of traced) span.end();
      }
    },
    disconnect: () => producer.disconnect(),
  };
}
