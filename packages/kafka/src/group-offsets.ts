import { AppError } from '@outflow/runtime';
import type { KafkaHandle } from './kafka-client.js';

export interface PartitionOffset {
  partition: number;
  offset: string;
}

/**
 * Moves a stopped consumer group's committed offsets on `topic` to the earliest retained message of every
 * partition, so its consumers read everything again when they start (a replay, or the fault suite's "reset to
 * earliest"). Works through a member of the group itself (join, commit, leave) rather than the admin API, so
 * it needs nothing a broker may not implement. The group must have no running member: a reset under live
 * consumers would be overwritten by their next commit, so it is refused (non-retryable GROUP_NOT_EMPTY).
 */
export async function resetGroupToEarliest(
  handle: KafkaHandle,
  options: { groupId: string; topic: string; timeoutMs?: number },
): Promise<PartitionOffset[]> {
  const admin = handle.kafka.admin();
  await admin.connect();
  let earliest: PartitionOffset[];
  try {
    earliest = (await admin.fetchTopicOffsets(options.topic)).map((p) => ({ partition: p.partition, offset: p.low }));
  } finally {
    await admin.disconnect();
  }
  const consumer = handle.kafka.consumer(handle.consumerConfig(options.groupId));
  let timer: NodeJS.Timeout | undefined;
  try {
    const assigned = new Promise<number[]>((resolve, reject) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
        resolve([...(payload.memberAssignment[options.topic] ?? [])]),
      );
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      timer = setTimeout(
        () =>
          reject(new AppError('GROUP_JOIN_TIMEOUT', `could not join group ${options.groupId}`, { retryable: true })),
        options.timeoutMs ?? 30_000,
      );
    });
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    // Nothing is processed or committed by this member except the reset itself.
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    const partitions = await assigned;
    if (partitions.length !== earliest.length) {
      throw new AppError(
        'GROUP_NOT_EMPTY',
        `group ${options.groupId} has running members (this member got ${partitions.length} of ${earliest.length} partitions of ${options.topic}); stop them first`,
        { retryable: false },
      );
    }
    await consumer.commitOffsets(earliest.map((entry) => ({ topic: options.topic, ...entry })));
    return earliest;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}
