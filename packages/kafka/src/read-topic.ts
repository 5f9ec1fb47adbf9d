import { randomUUID } from 'node:crypto';
import type { TopicName } from '@outflow/contracts';
import { AppError } from '@outflow/runtime';
import { withAdmin, type KafkaHandle } from './kafka-client.js';

/** A message as it sits in its partition: bytes, headers as text, where it is. */
export interface StoredMessage {
  partition: number;
  offset: string;
  /** When the broker stored it (milliseconds since the epoch). */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Every message retained in a topic, from each partition's earliest to its end when the call starts (messages
 * that arrive meanwhile are not waited for), oldest first per partition. For tools that look into a topic, such
 * as the dead letters: it reads through a consumer group of its own that commits nothing and is deleted after,
 * so no group of the product's is touched. At most `limit` messages (the earliest); rejects after `timeoutMs`.
 */
export async function readTopic(
  handle: KafkaHandle,
  topic: TopicName,
  options: { limit: number; timeoutMs?: number },
): Promise<StoredMessage[]> {
  const physical = handle.topic(topic);
  const ends = await withAdmin(handle, (admin) => admin.fetchTopicOffsets(physical));
  const remaining = new Map(
    ends.filter((end) => BigInt(end.high) > BigInt(end.low)).map((end) => [end.partition, BigInt(end.high)]),
  );
  if (remaining.size === 0) return [];
  const groupId = `outflow-tool-read-${randomUUID()}`;
  const consumer = handle.kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const read: StoredMessage[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: physical, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AppError('READ_TIMEOUT', `reading ${physical} took over ${options.timeoutMs ?? 30_000} ms`, {
              retryable: true,
            }),
          ),
        options.timeoutMs ?? 30_000,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const end = remaining.get(partition);
            if (end === undefined || BigInt(message.offset) >= end) return;
            if (read.length < options.limit) {
              read.push({
                partition,
                offset: message.offset,
                timestamp: message.timestamp,
                key: message.key,
                value: message.value,
                headers: Object.fromEntries(
                  Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value ?? '')]),
                ),
              });
            }
            if (BigInt(message.offset) + 1n >= end || read.length >= options.limit) remaining.delete(partition);
            if (remaining.size === 0 || read.length >= options.limit) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await withAdmin(handle, (admin) => admin.deleteGroups([groupId])).catch(() => undefined);
  }
  return read.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
