import type { Consumer, ConsumerRunConfig, IHeaders, KafkaMessage } from 'kafkajs';
import {
  deadLetterTopic,
  decodeHeaders,
  headersAsText,
  headerText,
  InvalidHeadersError,
  type MessageHeaders,
  type PayloadOf,
  type TopicName,
} from '@outflow/contracts';
import { permanentDatabaseError } from '@outflow/db';
import { AppError, isAppError } from '@outflow/runtime';
import {
  context,
  failSpan,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  tracer,
  type Context,
  type Logger,
  type Metrics,
  type Span,
} from '@outflow/telemetry';
import { consumerMetrics } from './consumer-metrics.js';
import type { KafkaHandle } from './kafka-client.js';
import type { SchemaCodec } from './schema-codec.js';
import type { TypedProducer } from './typed-producer.js';

export interface ConsumedMessage<T extends TopicName> {
  topic: T;
  partition: number;
  offset: string;
  key: string | null;
  payload: PayloadOf<T>;
  headers: MessageHeaders;
  /** Broker timestamp (CreateTime) in epoch ms. */
  timestamp: number;
  /** Call during long work so the group does not consider this member dead. */
  heartbeat: () => Promise<void>;
  /**
   * The trace context of this delivery (its `process` span): hand it on explicitly (outbox messages, rows, child
   * spans). It is the active context too only when the trace is sampled, see processMessage.
   */
  trace: Context;
}

export interface ConsumerLoopOptions<T extends TopicName> {
  kafka: KafkaHandle;
  codec: SchemaCodec;
  /** Used to publish dead letters. */
  producer: TypedProducer;
  logger: Logger;
  /** The logical group id; the handle's name prefix is added to it. */
  groupId: string;
  topic: T;
  /**
   * Handles one message. Must be idempotent: any message can arrive twice. Throw a non-retryable AppError to
   * dead-letter the message; any other error is retried in place with backoff (the partition waits), because
   * an unknown error is more often a database or network outage than a bad message.
   */
  handle: (message: ConsumedMessage<T>) => Promise<void>;
  /** Partitions processed in parallel by this member. Default 1. */
  partitionsConsumedConcurrently?: number;
  /**
   * Messages of one partition handled at once (in fetched order, chunk by chunk). Default 1: strictly one after
   * the other. Above 1, messages of a partition can complete out of order, so use it only where the handler
   * does not rely on partition order; concurrent handlers are what lets coalesced statements form batches.
   */
  messageConcurrency?: number;
  /**
   * Most bytes one fetch brings of a partition (Kafka's max.partition.fetch.bytes). Every message fetched stays in
   * memory until its whole fetch is handled, so it bounds the backlog a member holds. Default kafkajs's 1 MiB.
   */
  maxBytesPerPartition?: number;
  /** Backoff for in-place retries. Default 200 ms doubling to 30 s. */
  retryBackoff?: { initialMs: number; maxMs: number };
  /**
   * Called when the consumer keeps crashing in ways kafkajs will not restart from (more than `maxRecreations`
   * times within `recreateWindowMs`, each recreation already tried): the service should exit non-zero.
   */
  onFatal: (error: Error) => void;
  /**
   * A crash kafkajs does not restart from (e.g. the coordinator answering that the group does not exist, as a
   * broker that lost its state does) is survived by recreating the consumer, at most this many times per window.
   * Default 5 per 60 000 ms.
   */
  maxRecreations?: number;
  recreateWindowMs?: number;
  /** Called on every group (re)join with this member's partitions, e.g. for logs or tests. */
  onAssignment?: (partitions: number[]) => void;
  /**
   * Called after each message is dead-lettered (for metrics and database bookkeeping), with its headers and payload
   * when they decoded. A failure here is retried like a handler's: the message is dead-lettered again (a consumer
   * of the dead letter topic sees it twice) rather than its bookkeeping lost.
   */
  onDeadLetter?: (info: DeadLetterInfo<T>) => Promise<void> | void;
  /**
   * The service's metrics: dead letters and in-place retries are counted there, and the group's lag on the topic
   * is read from the broker at each scrape. Default: nothing is measured.
   */
  metrics?: Metrics;
}

export interface DeadLetterInfo<T extends TopicName> {
  topic: T;
  partition: number;
  offset: string;
  error: AppError;
  /** Absent when the headers themselves were invalid. */
  headers?: MessageHeaders;
  /** Absent when the payload did not decode. */
  payload?: PayloadOf<T>;
}

export interface ConsumerLoop {
  /** Resolves when this member has joined its group and received an assignment. */
  readonly joined: Promise<void>;
  /** Stops fetching, lets the message in hand finish, commits what was processed, leaves the group. */
  stop(): Promise<void>;
}

/** Reads a trace context from Kafka headers, whose values arrive as bytes. */
const kafkaHeaderGetter = {
  keys: (headers: IHeaders): string[] => Object.keys(headers),
  get: (headers: IHeaders, key: string): string | undefined => headerText(headers, key),
};

/**
 * The error a message is dead-lettered with when its failure is permanent: an AppError that says it is not
 * retryable, headers that do not parse, or a PostgreSQL error a retry cannot fix (a value or row the database
 * refuses). Undefined for anything else, which is retried in place.
 */
function permanentFailure(error: unknown): AppError | undefined {
  if (isAppError(error)) return error.retryable ? undefined : error;
  if (error instanceof InvalidHeadersError) return new AppError('INVALID_HEADERS', error.message, { retryable: false });
  return permanentDatabaseError(error);
}

/**
 * The one consumer loop every service uses (eachBatch): decode and validate each message, hand it to `handle`,
 * dead-letter poison messages, retry transient failures in place, and commit only offsets of messages that
 * were fully processed.
 */
export async function startConsumerLoop<T extends TopicName>(options: ConsumerLoopOptions<T>): Promise<ConsumerLoop> {
  const { logger, topic } = options;
  const log = logger.child({ topic, groupId: options.groupId });
  const physical = options.kafka.topic(topic);
  const backoff = options.retryBackoff ?? { initialMs: 200, maxMs: 30_000 };
  let stopping = false;
  const measured = options.metrics
    ? consumerMetrics(options.metrics, { kafka: options.kafka, groupId: options.groupId, topic, logger: log })
    : undefined;

  let resolveJoined!: () => void;
  const joined = new Promise<void>((resolve) => {
    resolveJoined = resolve;
  });
  const recreations: number[] = [];
  const maxRecreations = options.maxRecreations ?? 5;
  const recreateWindowMs = options.recreateWindowMs ?? 60_000;
  let current: Consumer | undefined;
  let recreateTimer: NodeJS.Timeout | undefined;

  const onCrash = (error: Error): void => {
    if (stopping) return;
    const now = Date.now();
    while (recreations.length > 0 && recreations[0]! < now - recreateWindowMs) recreations.shift();
    if (recreations.length >= maxRecreations) {
      log.fatal({ err: error, recreations: recreations.length }, 'consumer keeps crashing; giving up');
      options.onFatal(error);
      return;
    }
    recreations.push(now);
    const delay = Math.min(backoff.initialMs * 2 ** (recreations.length - 1), backoff.maxMs);
    log.warn({ err: error, retryInMs: delay }, 'consumer crashed and kafkajs will not restart it; recreating it');
    recreateTimer = setTimeout(() => {
      if (stopping) return;
      start().catch((startError: unknown) =>
        onCrash(startError instanceof Error ? startError : new Error(String(startError))),
      );
    }, delay);
  };

  const start = async (): Promise<void> => {
    const consumer: Consumer = options.kafka.kafka.consumer(
      options.kafka.consumerConfig(
        options.groupId,
        options.maxBytesPerPartition ? { maxBytesPerPartition: options.maxBytesPerPartition } : {},
      ),
    );
    current = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = [...(payload.memberAssignment[physical] ?? [])].sort((a, b) => a - b);
      log.info({ partitions, memberId: payload.memberId }, 'joined group');
      options.onAssignment?.(partitions);
      resolveJoined();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) log.warn({ err: payload.error }, 'consumer crashed; kafkajs restarts it');
      else onCrash(payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: physical, fromBeginning: true });
    await consumer.run(runConfig);
  };

  const deadLetter = async (
    message: KafkaMessage,
    partition: number,
    error: AppError,
    decoded: Pick<DeadLetterInfo<T>, 'headers' | 'payload'>,
  ): Promise<void> => {
    log.warn({ partition, offset: message.offset, code: error.code, err: error }, 'dead-lettering message');
    await options.producer.send(deadLetterTopic, [
      {
        payload: {
          source_topic: physical,
          source_partition: partition,
          source_offset: message.offset,
          consumer_group: options.kafka.group(options.groupId),
          key: message.key ?? null,
          value: message.value ?? null,
          headers: headersAsText(message.headers),
          error_code: error.code,
          error_message: error.message,
          failed_at: Date.now(),
        },
        ...(message.key ? { key: message.key.toString('utf8') } : {}),
      },
    ]);
    measured?.deadLettered();
    await options.onDeadLetter?.({ topic, partition, offset: message.offset, error, ...decoded });
  };

  const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * Handles one message in a span of its own, a child of the producer's span that the message's headers name: the
   * handler's spans and everything it writes (rows, outbox messages) join the message's trace. A message delivered
   * again (a redelivery after a crash or a rebalance, a republished claim) is another span beside the first.
   */
  const processMessage = async (
    message: KafkaMessage,
    partition: number,
    heartbeat: () => Promise<void>,
    stillOurs: () => boolean,
  ): Promise<boolean> => {
    const parent = propagation.extract(ROOT_CONTEXT, message.headers ?? {}, kafkaHeaderGetter);
    const span = tracer.startSpan(
      `process ${physical}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': physical,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': Number(message.offset),
          'messaging.consumer.group.name': options.kafka.group(options.groupId),
        },
      },
      parent,
    );
    const messageContext = trace.setSpan(parent, span);
    const handle = () => handleUntilDone(message, partition, heartbeat, stillOurs, span, messageContext);
    try {
      // Made active only when sampled: an active span, even one that records nothing, has every instrumented
      // query build a span of its own (at 1 % sampling that was most of tracing's cost in the sender).
      return await (span.isRecording() ? context.with(messageContext, handle) : handle());
    } finally {
      span.end();
    }
  };

  /**
   * Handles one message until it is done (handled or dead-lettered): true. False when the member stopped owning
   * the partition while the message was failing: it is then left unresolved for the partition's next owner.
   */
  const handleUntilDone = async (
    message: KafkaMessage,
    partition: number,
    heartbeat: () => Promise<void>,
    stillOurs: () => boolean,
    span: Span,
    messageContext: Context,
  ): Promise<boolean> => {
    let delay = backoff.initialMs;
    for (let attempt = 1; ; attempt++) {
      const decoded: Pick<DeadLetterInfo<T>, 'headers' | 'payload'> = {};
      try {
        const headers = decodeHeaders(message.headers);
        decoded.headers = headers;
        span.setAttributes({ 'messaging.message.id': headers.messageId, 'outflow.attempt': headers.attempt });
        const payload = await options.codec.decode(topic, message.value);
        decoded.payload = payload;
        await options.handle({
          topic,
          partition,
          offset: message.offset,
          key: message.key ? message.key.toString('utf8') : null,
          payload,
          headers,
          timestamp: Number(message.timestamp),
          heartbeat,
          trace: messageContext,
        });
        return true;
      } catch (error) {
        const permanent = permanentFailure(error);
        if (permanent) {
          failSpan(span, permanent);
          span.setAttribute('outflow.dead_lettered', true);
          await deadLetter(message, partition, permanent, decoded);
          return true;
        }
        if (!stillOurs()) {
          failSpan(span, error);
          return false;
        }
        span.addEvent('handler failed; retrying', {
          'exception.message': error instanceof Error ? error.message : String(error),
          'outflow.retry_in_ms': delay,
        });
        log.warn(
          { err: error, partition, offset: message.offset, attempt, retryInMs: delay },
          'handler failed; retrying',
        );
        measured?.retried();
        await wait(delay);
        await heartbeat();
        delay = Math.min(delay * 2, backoff.maxMs);
      }
    }
  };

  const chunkSize = options.messageConcurrency ?? 1;
  const runConfig: ConsumerRunConfig = {
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
      const stillOurs = () => isRunning() && !isStale();
      // Chunks of the batch are handled concurrently; a chunk's offsets are resolved once all of it is done, so a
      // committed offset never skips a message still failing (it is retried in place while the rest wait).
      for (let start = 0; start < batch.messages.length; start += chunkSize) {
        if (!stillOurs()) break;
        const chunk = batch.messages.slice(start, start + chunkSize);
        // A chunk can take long (a slow SMTP server, a stalled one until its timeout): keep the membership alive
        // meanwhile (kafkajs sends at most one heartbeat per heartbeatInterval, so calling often is cheap). If one
        // fails because the group rebalances, the heartbeat after the chunk fails the same way and hands the
        // rebalance to kafkajs; what this member did not commit goes to the partition's next owner (idempotent).
        const beating = setInterval(() => void heartbeat().catch(() => undefined), 500);
        let done: boolean[];
        try {
          done = await Promise.all(
            chunk.map((message) => processMessage(message, batch.partition, heartbeat, stillOurs)),
          );
        } finally {
          clearInterval(beating);
        }
        const settled = done.indexOf(false) === -1 ? chunk.length : done.indexOf(false);
        if (settled > 0) resolveOffset(chunk[settled - 1]!.offset);
        // Not resolved: the rest is delivered again after restart or to the partition's next owner.
        if (settled < chunk.length) return;
        await heartbeat();
      }
      await commitOffsetsIfNecessary();
    },
  };

  await start();
  return {
    joined,
    async stop() {
      stopping = true;
      measured?.stop();
      clearTimeout(recreateTimer);
      await current?.disconnect();
    },
  };
}
