import type { TopicName } from '@outflow/contracts';
import { AppError } from '@outflow/runtime';
import { withAdmin, type KafkaHandle } from './kafka-client.js';

export interface PartitionOffset {
  partition: number;
  offset: string;
}

/**
 * Moves a stopped consumer group's committed offsets on `topic` to the earliest retained message of every
 * partition, so its consumers read everything again when they start (a replay, or the fault suite's "reset to
 * earliest"). The group must have no running member: a reset under live consumers would be overwritten by their
 * next commit, so it is refused (non-retryable GROUP_NOT_EMPTY); the broker itself refuses a commit from outside
 * the group while members run, so a member that joins meanwhile cannot be overwritten either.
 */
export async function resetGroupToEarliest(
  handle: KafkaHandle,
  options: { groupId: string; topic: TopicName },
): Promise<PartitionOffset[]> {
  const groupId = handle.group(options.groupId);
  const topic = handle.topic(options.topic);
  return withAdmin(handle, async (admin) => {
    const { groups } = await admin.describeGroups([groupId]);
    const members = groups[0]?.members.length ?? 0;
    if (members > 0) {
      throw new AppError('GROUP_NOT_EMPTY', `group ${groupId} has ${members} running member(s); stop them first`, {
        retryable: false,
      });
    }
    const earliest = (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.low }));
    await admin.setOffsets({ groupId, topic, partitions: earliest });
    return earliest.sort((a, b) => a.partition - b.partition);
  });
}

export interface PartitionLag {
  partition: number;
  /** Messages the group has not committed yet: the partition's end offset less the group's committed offset. */
  lag: number;
}

/**
 * How far a consumer group is behind on `topic`, per partition: the newest offset less the group's committed one.
 * A partition the group never committed counts every message still retained. Committed offsets trail what the
 * members handled by at most one batch, so a busy group shows a small lag even when it keeps up.
 */
export async function fetchGroupLag(
  handle: KafkaHandle,
  options: { groupId: string; topic: TopicName },
): Promise<PartitionLag[]> {
  const groupId = handle.group(options.groupId);
  const topic = handle.topic(options.topic);
  return withAdmin(handle, async (admin) => {
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const committedOf = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
    return ends
      .map((end) => {
        const at = committedOf.get(end.partition) ?? -1;
        // -1: nothing committed yet; the group starts from the earliest retained message.
        const from = at < 0 ? Number(end.low) : at;
        return { partition: end.partition, lag: Math.max(0, Number(end.high) - from) };
      })
      .sort((a, b) => a.partition - b.partition);
  });
}
