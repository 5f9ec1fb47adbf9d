import type { ServiceName, SmtpSink, ReceivedMessage } from '@outflow/stack';
import type { TopicName } from '@outflow/contracts';
import { fetchGroupLag, withAdmin, type KafkaHandle } from '@outflow/kafka';
import { loadSequence, type FaultEnvironment, type ScenarioDatabase } from './fault-environment.js';
import { measure, type Measurement } from './invariants.js';

// What every scenario file uses: the scenario's shape, its sizes, and the waits and faults they share.

export interface ScenarioOptions {
  createDatabase: () => Promise<ScenarioDatabase>;
  /** quick: the CI summary; full: the sizes of the issue. */
  size: 'quick' | 'full';
  settleTimeoutMs?: number;
  /** Where a failed scenario leaves each service's output, to see what went wrong. */
  logDirectory?: string;
}

export interface Scenario {
  name: string;
  description: string;
  /** Set when the scenario cannot run on this machine or is not implemented yet; the report says why. */
  notRunnable?: string;
  env?: Record<string, string>;
  /** Kafka nodes of the scenario's own cluster: 1 (default) or 3 (replication 3, min.insync.replicas 2). */
  brokerNodes?: 1 | 3;
  /** Runs on a PostgreSQL server of its own (always embedded), which the scenario may stop. */
  ownPostgres?: { maxConnections: number };
  run?: (
    environment: FaultEnvironment,
    options: ScenarioOptions,
  ) => Promise<{ sequenceIds: string[]; lastFaultAt: number; details?: Record<string, unknown> }>;
}

export const sizes = { quick: { contacts: 60, kills: 4 }, full: { contacts: 1_000, kills: 20 } };

/** What every SMTP server of the scenario received: the stack's sink and any the scenario added. */
function receivedMessages(environment: FaultEnvironment): ReceivedMessage[] {
  return [environment.stack.smtp, ...environment.extraSinks].flatMap((sink: SmtpSink) => sink.messages);
}

export async function settle(
  environment: FaultEnvironment,
  sequenceIds: string[],
  timeoutMs: number,
): Promise<Measurement> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const measurement = await measure(environment.database.db, sequenceIds, receivedMessages(environment));
    if ((measurement.pending === 0 && measurement.stuck === 0) || Date.now() > deadline) return measurement;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Keeps a service running: whenever it dies (a failpoint, a kill), start it again, until `until` resolves. */
export function superviseRestarts(
  environment: FaultEnvironment,
  name: ServiceName,
  env: Record<string, string>,
  until: Promise<unknown>,
) {
  let done = false;
  let restarts = 0;
  void until.finally(() => {
    done = true;
  });
  const watch = async (): Promise<void> => {
    while (!done) {
      const process = environment.pipeline.processes.get(name)!;
      await Promise.race([process.waitForExit(10 * 60_000).catch(() => undefined), until]);
      if (done) return;
      restarts += 1;
      await environment.pipeline.restart(name, env);
    }
  };
  const watching = watch();
  return { restarts: () => restarts, watching };
}

/** Messages still retained on `topic`, over every partition. */
export async function retainedMessages(handle: KafkaHandle, topic: TopicName): Promise<number> {
  const offsets = await withAdmin(handle, (admin) => admin.fetchTopicOffsets(handle.topic(topic)));
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** Waits until a group's committed offsets reach the end of every partition of `topic` (its lag is 0). */
export async function groupCaughtUp(
  handle: KafkaHandle,
  groupId: string,
  topic: TopicName,
  timeoutMs = 120_000,
): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const lags = await fetchGroupLag(handle, { groupId, topic });
    if (lags.every((partition) => partition.lag === 0)) return;
    if (Date.now() > deadline) throw new Error(`group ${groupId} did not catch up on ${topic}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Loads `contacts` two-step enrollments and injects `fault` `times` times, spread over the flow: fault i once the
 * sink has received i shares of all messages (`spareShares` shares are left after the last fault), or, sooner,
 * one more half share since the previous fault. The second bound matters when faults leave emails uncertain (each
 * takes its step-two message out of the flow too): the full shares may then never be reached. Returns when the
 * last fault is done.
 */
export async function faultsDuringFlow(
  environment: FaultEnvironment,
  options: { contacts: number; times: number; spareShares: number },
  fault: (time: number) => Promise<void>,
): Promise<{ sequenceId: string; lastFaultAt: number }> {
  const sequenceId = await loadSequence(environment, { contacts: options.contacts, steps: 2 });
  const total = options.contacts * 2;
  const shares = options.times + options.spareShares;
  const halfShare = Math.max(1, Math.floor(total / (2 * shares)));
  let lastFaultAt = Date.now();
  for (let time = 1; time <= options.times; time++) {
    const sinceLast = environment.stack.smtp.messages.length + halfShare;
    await sinkReaches(environment, Math.min(Math.floor((total * time) / shares), sinceLast));
    await fault(time);
    lastFaultAt = Date.now();
  }
  return { sequenceId, lastFaultAt };
}

/** One more sender and one more follow-up scheduler, joining their groups. */
export function joinReplicas(environment: FaultEnvironment) {
  return Promise.all([
    environment.pipeline.addReplica('smtp-sender'),
    environment.pipeline.addReplica('followup-scheduler'),
  ]);
}

/** Waits until the sink has received `count` messages in total. */
export async function sinkReaches(environment: FaultEnvironment, count: number): Promise<void> {
  await environment.stack.smtp.waitForMessages(count, 120_000);
}

export async function stopService(
  environment: FaultEnvironment,
  name: ServiceName,
  signal: NodeJS.Signals,
): Promise<void> {
  const process = environment.pipeline.processes.get(name)!;
  process.kill(signal);
  await process.waitForExit(30_000);
}
