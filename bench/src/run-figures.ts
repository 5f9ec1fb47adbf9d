import type { ProfileSummary } from './cpu-profile.js';
import type { Size } from './datasets.js';
import type { StatementStat } from './statement-stats.js';
import type { WalFigures } from './wal-stats.js';

// What a bench run measured, and the statistics every summary computes over it: the one module the runs and the
// summaries share, so neither imports the other.

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Percentiles (nearest rank) and the maximum of a sample, rounded to whole units; undefined for an empty sample. */
export function percentiles(values: number[]): { p50: number; p95: number; p99: number; max: number } | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
  return { p50: at(50), p95: at(95), p99: at(99), max: Math.round(sorted.at(-1)!) };
}

export type Percentiles = NonNullable<ReturnType<typeof percentiles>>;

/** Per error code: how many attempts failed with it, and one of their error messages. */
export type FailedAttempts = Record<string, { count: number; example: string }>;

export interface DrainRun {
  generationMs: number;
  drainSeconds: number;
  emailsPerSecond: number;
  firstToLastArrivalSeconds: number;
  /** The most SMTP connections the sink had open at once (absent in results written before it was counted). */
  smtpConnectionsPeak?: number;
  /** Send attempts that failed (and were retried or ended the email), by error code; none in a clean run. */
  failedAttempts?: FailedAttempts;
  /** Emails the mailboxes' capacity allows today: all the due ones, unless the capacity profile is realistic. */
  sendable: number;
  correctness: {
    duplicatesAtSink: number;
    sentInDatabase: number;
    lost: number;
    /** Mailboxes with more emails claimed or sent today than their daily capacity (must be 0). */
    overCapacity: number;
  };
  /** Steady state only: the arrival rate the emails came due at. */
  ratePerSecond?: number;
  /** Scheduling lag, ms: arrival at the sink minus scheduled_for (in a drain: how long the backlog waited). */
  lagMs?: Percentiles;
  /** Follow-up latency, ms: step 2 scheduled (its row created) minus step 1 sent, both on the database clock. */
  followupMs?: Percentiles;
  /** Where the scheduling lag goes, ms per stage (absent in results written before it was measured). */
  lagStagesMs?: LagStages;
  /** cpuSeconds: CPU time used during the drain (absent in results written before it was recorded). */
  processes: Record<string, { cpuPercent: number; cpuSeconds?: number; peakRssMb: number | null }>;
  /** CPU of what the services run on: PostgreSQL (every backend), the broker, the bench itself (sink, registry). */
  infrastructure?: Record<string, { cpuPercent: number; cpuSeconds?: number }>;
  /** Of the broker's CPU, what its JIT compiler threads used (near 0 on a warm broker). */
  brokerJitCpuSeconds?: number;
  /** The statements that took the most PostgreSQL time during the drain (absent without pg_stat_statements). */
  statements?: StatementStat[];
  /** With `timelineEveryMs`: samples taken during the run. */
  timeline?: TimelineSample[];
  /** Per table every email rewrites: autovacuum runs during the drain, and dead row versions at its end. */
  vacuum?: VacuumStats[];
  /** What the drain wrote to the write-ahead log (absent when the server hides its statistics). */
  wal?: WalFigures;
  /** With `profileDir`: where each service spent its CPU time. */
  profiles?: Record<string, ProfileSummary>;
}

/**
 * The scheduling lag cut at the times the database records, each stage's percentiles over the emails that
 * reached the sink. The database and the sink share this machine's clock.
 */
export interface LagStages {
  /** Due until claimed: waiting for the producer's tick and claim (claimed_at - scheduled_for). */
  toClaim: Percentiles | undefined;
  /**
   * Claimed until the send started: Kafka, the sender's fetch, its context read and its wait for a connection of
   * the mailbox (last_attempt_at - claimed_at).
   */
  toStart: Percentiles | undefined;
  /** Send started until the message was at the sink: rendering and SMTP (arrival - last_attempt_at). */
  toSink: Percentiles | undefined;
}

export interface TimelineSample {
  /** Seconds since the services started. */
  atSeconds: number;
  /** Emails at the sink so far. */
  arrived: number;
  rssMb: Record<string, number | null>;
  /** Dead tuples of the tables every email rewrites (autovacuum keeping up or not). */
  deadTuples: Record<string, number>;
}

export interface VacuumStats {
  table: string;
  autovacuums: number;
  deadTuples: number;
}

export interface TickStatement {
  label: string;
  calls: number;
  meanMs: number;
  planMs: number;
  rowsPerCall: number;
  buffersPerCall: number;
}

export interface TickRun {
  size: Size;
  /** Rows in email_queues (history plus due) and mailboxes, and how many were due. */
  tableRows: number;
  mailboxes: number;
  due: number;
  generationMs: number;
  /** Claim transactions that claimed something. */
  ticks: number;
  /**
   * Per statement of a tick: calls, mean execution and planning time, rows and shared buffers (hit + read) per
   * call. A statement may run more than once per tick (the lock, when it wraps round to the lowest ids).
   */
  statements: TickStatement[];
  /** Every call's execution and planning time over the ticks: the database side of one tick. */
  tickMs: number;
  /** The planning part of tickMs (0 when the server does not track planning). */
  tickPlanMs: number;
}

/**
 * The database side of one tick: every call of the tick's statements, execution and planning, divided by the
 * `ticks` (the claims that reserved something). A statement that runs twice in a tick counts twice.
 */
export function tickTotals(statements: TickStatement[], ticks: number): Pick<TickRun, 'tickMs' | 'tickPlanMs'> {
  const perTick = (pick: (statement: TickStatement) => number) =>
    ticks === 0
      ? 0
      : Math.round((statements.reduce((sum, statement) => sum + pick(statement) * statement.calls, 0) / ticks) * 100) /
        100;
  return {
    tickMs: perTick((statement) => statement.meanMs + statement.planMs),
    tickPlanMs: perTick((statement) => statement.planMs),
  };
}
