import { sql } from 'kysely';

import type { Database } from '@outflow/db';

import { startPipeline, type Arrival, type KafkaCluster } from '@outflow/stack';

import { generateDataset, sizes, startArrivals, type CapacityProfile, type Size } from './datasets.js';

import { summarizeProfilesOf } from './cpu-profile.js';

import { readJitCpuSeconds, readProcessStats, readProcessTreeCpuSeconds } from './process-stats.js';

import { readStatementStats, resetStatementStats } from './statement-stats.js';

import { withRunEnvironment } from './run-environment.js';

import { readWalCounters, readWalSettings, walFigures } from './wal-stats.js';

import { waitForSentCount } from './sent-count.js';
import {
  type DrainRun,
  type FailedAttempts,
  type LagStages,
  percentiles,
  type TimelineSample,
  type VacuumStats,
} from './run-figures.js';

/** What the services run with during a drain (recorded in the results, so figures come with their settings). */
export const drainSettings = { PRODUCER_TICK_MS: '250', SENDER_CONCURRENCY: '12', SMTP_POOL_SIZE: '3' };

/** This process's CPU so far (the SMTP sink and the registry run in it). */
export function benchCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

const rewrittenTables = ['email_queues'];
/** The soak's timeline follows these too: the tables a send writes to. */
const timelineTables = [...rewrittenTables, 'outbox', 'sequence_contacts', 'mailbox_daily_counts'];

/** Autovacuum runs so far and dead row versions now, per table (pg_stat_user_tables), in table name order. */
async function readVacuumStats(db: Database, tables: readonly string[]): Promise<VacuumStats[]> {
  const { rows } = await sql<{ relname: string; autovacuum_count: string; n_dead_tup: string }>`
    select relname, autovacuum_count, n_dead_tup from pg_stat_user_tables where relname = any(${tables})
    order by relname
  `.execute(db);
  return rows.map((row) => ({
    table: row.relname,
    autovacuums: Number(row.autovacuum_count),
    deadTuples: Number(row.n_dead_tup),
  }));
}

/**
 * One drain: a fresh database with the generated dataset (everything due at once), a fresh broker, registry
 * and sink, the five services as processes; timed from their start to the last email at the sink.
 */
export async function runDrain(
  adminUrl: string,
  size: Size,
  run: number,
  options: {
    /** The sitting's broker (startSittingBroker): each run gets topics of its own on it. */
    cluster: KafkaCluster;
    profileDir?: string;
    postgresPid?: number;
    ratePerSecond?: number;
    /** Due emails instead of the size's (the soak sizes its backlog to its duration). */
    due?: number;
    /** Every this many ms, a timeline sample: arrivals, RSS per service, dead tuples (the soak). */
    timelineEveryMs?: number;
    capacity?: CapacityProfile;
    /** Service settings over drainSettings (`--set KEY=VALUE`), e.g. to compare fetch sizes. */
    serviceEnv?: Readonly<Record<string, string>>;
  },
): Promise<DrainRun> {
  const spec = { ...sizes[size], ...(options.due ? { due: options.due } : {}) };
  return withRunEnvironment(
    adminUrl,
    { database: `outflow_bench_${process.pid}_${run}`, maxConnections: 4, cluster: options.cluster },
    async ({ stack, sink, db, url }) => {
      const generatedAt = Date.now();
      const sequenceId = await generateDataset(
        db,
        spec,
        { host: sink.host, port: sink.port },
        {
          arrival: options.ratePerSecond ? { ratePerSecond: options.ratePerSecond } : undefined,
          capacity: options.capacity,
        },
      );
      const generationMs = Date.now() - generatedAt;
      const sendable = await countSendable(db, sequenceId);
      await flushGeneratedPages(db);
      const countingStatements = await resetStatementStats(db);
      const vacuumBefore = await readVacuumStats(db, rewrittenTables);
      const pipeline = await startPipeline({
        databaseUrl: url,
        kafkaBrokers: stack.broker.brokers,
        schemaRegistryUrl: stack.registry.url,
        env: { ...drainSettings, ...options.serviceEnv, KAFKA_TOPIC_PREFIX: stack.topicPrefix },
        fromBuild: true,
        ...(options.profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] } : {}),
      });
      const pids = new Map([...pipeline.processes].map(([name, process]) => [name, process.child.pid!]));
      const before = new Map([...pids].map(([name, pid]) => [name, readProcessStats(pid)]));
      const peakRss = new Map<string, number>();
      const sampler = setInterval(() => {
        for (const [name, pid] of pids) {
          const stats = readProcessStats(pid);
          if (stats) peakRss.set(name, Math.max(peakRss.get(name) ?? 0, stats.rssMb));
        }
      }, 500);
      const brokerPid = stack.broker.cluster?.nodes[0]?.pid;
      const infrastructureCpu = (): Map<string, number | undefined> =>
        new Map([
          ['postgres (all backends)', options.postgresPid ? readProcessTreeCpuSeconds(options.postgresPid) : undefined],
          ['kafka broker', brokerPid ? readProcessTreeCpuSeconds(brokerPid) : undefined],
          ['bench (sink, registry)', benchCpuSeconds()],
        ]);
      const infrastructureBefore = infrastructureCpu();
      const jitBefore = brokerPid ? readJitCpuSeconds(brokerPid) : undefined;
      if (options.ratePerSecond) await startArrivals(db, sequenceId);
      const walBefore = await readWalCounters(db);
      const started = Date.now();
      const timeline: TimelineSample[] = [];
      const takeSample = async (): Promise<void> => {
        const tables = await readVacuumStats(db, timelineTables);
        timeline.push({
          atSeconds: Math.round((Date.now() - started) / 1000),
          arrived: sink.arrivals.length,
          rssMb: Object.fromEntries([...pids].map(([name, pid]) => [name, readProcessStats(pid)?.rssMb ?? null])),
          deadTuples: Object.fromEntries(tables.map((table) => [table.table, table.deadTuples])),
        });
      };
      const timelineTimer = options.timelineEveryMs
        ? setInterval(() => void takeSample().catch(() => undefined), options.timelineEveryMs)
        : undefined;
      await sink.waitForArrivals(sendable, 60 * 60_000);
      const drainMs = Date.now() - started;
      clearInterval(sampler);
      clearInterval(timelineTimer);
      if (options.timelineEveryMs) await takeSample();
      const after = new Map([...pids].map(([name, pid]) => [name, readProcessStats(pid)]));
      const infrastructureAfter = infrastructureCpu();
      const jitAfter = brokerPid ? readJitCpuSeconds(brokerPid) : undefined;
      const arrivals = sink.arrivals.map((arrival) => arrival.at).sort((a, b) => a - b);
      const ids = sink.arrivals.map((arrival) => arrival.id);
      const sentInDatabase = await waitForSentCount(db, sequenceId, sendable);
      const walAfter = await readWalCounters(db);
      const wal =
        walBefore && walAfter ? walFigures(walBefore, walAfter, sendable, await readWalSettings(db)) : undefined;
      const statements = countingStatements ? await readStatementStats(db) : undefined;
      const vacuum = (await readVacuumStats(db, rewrittenTables)).map((after) => ({
        ...after,
        autovacuums:
          after.autovacuums - (vacuumBefore.find((before) => before.table === after.table)?.autovacuums ?? 0),
      }));
      const { lagMs, lagStagesMs, followupMs } = await measureLatencies(db, sequenceId, sendable, sink.arrivals);
      const overCapacity = await countOverCapacity(db, sequenceId);
      const failedAttempts = await countFailedAttempts(db, sequenceId);
      await pipeline.stop();
      const profileDir = options.profileDir;
      const profiles = profileDir
        ? Object.fromEntries(
            [...pids].flatMap(([name, pid]) => {
              const summary = summarizeProfilesOf(profileDir, pid);
              return summary ? [[name, summary]] : [];
            }),
          )
        : undefined;
      const infrastructure = Object.fromEntries(
        [...infrastructureAfter].flatMap(([name, seconds]) => {
          const before = infrastructureBefore.get(name);
          if (seconds === undefined || before === undefined) return [];
          const cpuSeconds = seconds - before;
          return [[name, { cpuPercent: Math.round((cpuSeconds / (drainMs / 1000)) * 100), cpuSeconds }]];
        }),
      );
      return {
        ...(profiles ? { profiles } : {}),
        infrastructure,
        ...(jitBefore !== undefined && jitAfter !== undefined ? { brokerJitCpuSeconds: jitAfter - jitBefore } : {}),
        ...(options.timelineEveryMs ? { timeline } : {}),
        ...(statements ? { statements } : {}),
        ...(wal ? { wal } : {}),
        vacuum,
        generationMs,
        ...(options.ratePerSecond ? { ratePerSecond: options.ratePerSecond } : {}),
        ...(lagMs ? { lagMs, lagStagesMs } : {}),
        ...(followupMs ? { followupMs } : {}),
        drainSeconds: drainMs / 1000,
        smtpConnectionsPeak: sink.connections().peak,
        failedAttempts,
        sendable,
        emailsPerSecond: Math.round(sendable / (drainMs / 1000)),
        firstToLastArrivalSeconds: (arrivals.at(-1)! - arrivals[0]!) / 1000,
        correctness: {
          duplicatesAtSink: ids.length - new Set(ids).size,
          sentInDatabase,
          lost: sendable - new Set(ids).size,
          overCapacity,
        },
        processes: Object.fromEntries(
          [...pids.keys()].map((name) => {
            const cpu = (after.get(name)?.cpuSeconds ?? 0) - (before.get(name)?.cpuSeconds ?? 0);
            const cpuPercent = Math.round((cpu / (drainMs / 1000)) * 100);
            return [name, { cpuPercent, cpuSeconds: cpu, peakRssMb: peakRss.get(name) ?? null }];
          }),
        ),
      };
    },
  );
}

/**
 * Writes the generated dataset's pages out before the drain starts. Otherwise the checkpoint that the
 * generation's log volume requested runs during the drain, and the drain's figures (PostgreSQL's CPU, the log
 * written, the checkpoints) would carry the generation's writes. Needs superuser or pg_checkpoint; without it the
 * drain runs as before.
 */
async function flushGeneratedPages(db: Database): Promise<void> {
  await sql`checkpoint`.execute(db).catch(() => undefined);
}

/** The due emails the mailboxes may send today: per mailbox, its due count up to its daily capacity. */
async function countSendable(db: Database, sequenceId: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select coalesce(sum(least(d.n, m.daily_capacity)), 0) as n
    from (select mailbox_id, count(*) as n from email_queues where sequence_id = ${sequenceId} group by 1) d
    join mailboxes m on m.id = d.mailbox_id
  `.execute(db);
  return Number(rows[0]!.n);
}

/** Failed send attempts by error code, each with one of its messages (the first in text order) as an example. */
async function countFailedAttempts(db: Database, sequenceId: string): Promise<FailedAttempts> {
  const { rows } = await sql<{ error_code: string; n: string; example: string | null }>`
    select d.error_code, count(*) as n, min(d.error_message) as example
    from delivery_events d
    join email_queues e on e.id = d.email_queue_id
    where e.sequence_id = ${sequenceId} and d.error_code is not null
    group by 1 order by 1
  `.execute(db);
  return Object.fromEntries(rows.map((row) => [row.error_code, { count: Number(row.n), example: row.example ?? '' }]));
}

/** Mailboxes with more of the due emails claimed, being sent or sent than their daily capacity allows. */
async function countOverCapacity(db: Database, sequenceId: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*) as n
    from (
      select mailbox_id, count(*) as n from email_queues
      where sequence_id = ${sequenceId} and step_order = 1 and status <> 'scheduled'
      group by 1
    ) d
    join mailboxes m on m.id = d.mailbox_id
    where d.n > m.daily_capacity
  `.execute(db);
  return Number(rows[0]!.n);
}

/**
 * Scheduling lag of every email that reached the sink, and follow-up latency of every sent step 1 (waiting,
 * bounded, for the scheduler to catch up with the last sends).
 */
async function measureLatencies(db: Database, sequenceId: string, due: number, arrivals: readonly Arrival[]) {
  // Times in ms since the epoch; claimed_at and last_attempt_at are the claim's and the start's transaction times.
  const { rows: scheduled } = await sql<{
    id: string;
    due_ms: number;
    claimed_ms: number | null;
    started_ms: number | null;
  }>`
    select id, extract(epoch from scheduled_for) * 1000 as due_ms, extract(epoch from claimed_at) * 1000 as claimed_ms,
      extract(epoch from last_attempt_at) * 1000 as started_ms
    from email_queues
    where sequence_id = ${sequenceId} and step_order = 1
  `.execute(db);
  const byId = new Map(scheduled.map((row) => [row.id, row]));
  const optional = (value: number | null) => (value === null ? null : Number(value));
  // Each email that reached the sink, with the times of its way there.
  const marks = arrivals.flatMap((arrival) => {
    const row = byId.get(arrival.id ?? '');
    if (row === undefined) return [];
    return [
      {
        due: Number(row.due_ms),
        claimed: optional(row.claimed_ms),
        started: optional(row.started_ms),
        arrived: arrival.at,
      },
    ];
  });
  // A stage is measured over the emails that have both its ends (a send still being recorded has no start yet).
  const stage = (from: keyof (typeof marks)[number], to: keyof (typeof marks)[number]) =>
    percentiles(
      marks.flatMap((mark) => {
        const [start, end] = [mark[from], mark[to]];
        return start === null || end === null ? [] : [end - start];
      }),
    );
  const lagStagesMs: LagStages = {
    toClaim: stage('due', 'claimed'),
    toStart: stage('claimed', 'started'),
    toSink: stage('started', 'arrived'),
  };
  const followups = async () =>
    (
      await sql<{ ms: number }>`
        select extract(epoch from (next.created_at - sent.sent_at)) * 1000 as ms
        from email_queues sent
        join email_queues next on next.sequence_contact_id = sent.sequence_contact_id and next.step_order = 2
        where sent.sequence_id = ${sequenceId} and sent.step_order = 1 and sent.status = 'sent'
      `.execute(db)
    ).rows.map((row) => Number(row.ms));
  let latencies = await followups();
  for (const deadline = Date.now() + 30_000; latencies.length < due && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    latencies = await followups();
  }
  return { lagMs: stage('due', 'arrived'), lagStagesMs, followupMs: percentiles(latencies) };
}
