import type { Admin } from 'kafkajs';
import type { TopicName } from '@outflow/contracts';
import { AppError } from '@outflow/runtime';
import { withAdmin, type KafkaHandle } from './kafka-client.js';

/**
 * Offsets set from outside a group hold only while it has no members: a running member's next commit would undo
 * them. Throws a non-retryable GROUP_NOT_EMPTY that says what to do.
 */
async function assertGroupStopped(admin: Admin, groupId: string): Promise<void> {
  const { groups } = await admin.describeGroups([groupId]);
  const members = groups[0]?.members.length ?? 0;
  if (members > 0) {
    throw new AppError(
      'GROUP_NOT_EMPTY',
      `group ${groupId} has ${members} running member(s): stop its consumers first (scale them to 0), then start ` +
        'them again after this',
      { retryable: false },
    );
  }
}

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
    await assertGroupStopped(admin, groupId);
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

export interface PartitionRewind {
  partition: number;
  /** The group's committed offset before (null: it never committed on this partition). */
  committed: string | null;
  /** Where the group resumes: the replay starts here. */
  to: string;
  /** Messages it will read again (or for the first time) from there to the partition's end now. */
  messages: number;
}

/**
 * Moves a stopped consumer group back on `topic`, so its consumers handle again what was stored from a time (each
 * partition from its first message at or after it, found by the broker's timestamp index) or from one partition's
 * offset. Only ever back: a partition whose committed offset is already earlier keeps it, so a replay never
 * skips a message. Refused while the group has members (GROUP_NOT_EMPTY), like resetGroupToEarliest: their next
 * commit would undo it. With `dryRun`, says what it would do and changes nothing.
 */
export async function rewindGroup(
  handle: KafkaHandle,
  options: {
    groupId: string;
    topic: TopicName;
    from: { time: Date } | { partition: number; offset: string };
    dryRun?: boolean;
  },
): Promise<PartitionRewind[]> {
  const groupId = handle.group(options.groupId);
  const topic = handle.topic(options.topic);
  return withAdmin(handle, async (admin) => {
    await assertGroupStopped(admin, groupId);
    const [ends, [committedOffsets]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const committedOf = new Map(committedOffsets?.partitions.map((p) => [p.partition, p.offset]) ?? []);
    let targets: PartitionOffset[];
    if ('time' in options.from) {
      targets = await admin.fetchTopicOffsetsByTimestamp(topic, options.from.time.getTime());
    } else {
      const { partition, offset } = options.from;
      const end = ends.find((candidate) => candidate.partition === partition);
      if (!end) throw new AppError('INVALID_OFFSET', `${topic} has no partition ${partition}`, { retryable: false });
      if (BigInt(offset) < BigInt(end.low) || BigInt(offset) > BigInt(end.high)) {
        throw new AppError(
          'INVALID_OFFSET',
          `partition ${partition} of ${topic} holds offsets ${end.low} to ${BigInt(end.high) - 1n}; ${offset} is outside`,
          { retryable: false },
        );
      }
      targets = [{ partition, offset }];
    }
    const rewinds = targets.map(({ partition, offset }) => {
      const end = ends.find((candidate) => candidate.partition === partition)!;
      const committed = committedOf.get(partition);
      const before = committed === undefined || committed === '-1' ? null : committed;
      // Never forward: what the group has not handled yet stays ahead of it.
      const to = before !== null && BigInt(before) < BigInt(offset) ? before : offset;
      return { partition, committed: before, to, messages: Number(BigInt(end.high) - BigInt(to)) };
    });
    if (!options.dryRun) {
      await admin.setOffsets({
        groupId,
        topic,
        partitions: rewinds.map(({ partition, to }) => ({ partition, offset: to })),
      });
    }
    return rewinds.sort((a, b) => a.partition - b.partition);
  });
}
