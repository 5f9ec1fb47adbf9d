import { sql } from 'kysely';

import type { Database } from '@outflow/db';

import { startPipeline, type KafkaCluster, type TestStack } from '@outflow/stack';

import { generateDataset, sizes, type Size } from './datasets.js';

import { withRunEnvironment } from './run-environment.js';

import { statementFigures } from './statement-figures.js';
import { resetStatementStats } from './statement-stats.js';
import { type TickRun, type TickStatement, tickTotals } from './run-figures.js';

/** The statement every tick that claimed something runs exactly once: its calls count the ticks. */
const reserveCapacity = 'reserve capacity';

/** The producer's statements in one claim tick, recognised by the name each is prepared under. */
const tickStatements = [
  { label: 'emails in flight (before locking)', fragment: 'outflow:prepared read-in-flight ' },
  { label: 'lock mailboxes with due email', fragment: 'outflow:prepared lock-mailboxes-' },
  { label: 'read their remaining capacity', fragment: 'outflow:prepared read-allowances ' },
  { label: 'claim due emails (lateral per mailbox)', fragment: 'outflow:prepared claim-due-emails ' },
  { label: reserveCapacity, fragment: 'outflow:prepared reserve-capacity ' },
] as const;

/**
 * What the producer runs with while ticks are measured: many small ticks, one email per mailbox each, and its queue
 * gauges read once at start only (the queue-stats scenario measures them), so the ticks have the cores to themselves.
 */
export const tickSettings = {
  PRODUCER_TICK_MS: '20',
  PRODUCER_MAX_PER_MAILBOX: '1',
  QUEUE_STATS_INTERVAL_MS: '3600000',
};

/**
 * Tick scaling: the same due count (S's, on S's 100 mailboxes) in tables of a given size's total, claimed by the
 * real cron-producer alone in ticks of one email per mailbox; pg_stat_statements gives each statement's mean
 * time, rows and buffers per call. If the claim's cost follows the rows it claims, these stay flat from S to L.
 *
 * The dataset is generated once per size (L takes minutes) and measured `rounds` times: before each round the due
 * emails are put back to `scheduled` with no capacity reserved, and vacuumed, as autovacuum would have.
 */
export async function runTicks(
  adminUrl: string,
  size: Size,
  rounds: number,
  cluster: KafkaCluster,
  onRound: (tick: TickRun, round: number) => void,
): Promise<TickRun[]> {
  const spec = sizes[size];
  const due = sizes.S.due;
  const dataset = {
    due,
    history: spec.history + spec.due - due,
    mailboxes: spec.mailboxes,
    dueMailboxes: sizes.S.mailboxes,
  };
  return withRunEnvironment(
    adminUrl,
    { database: `outflow_bench_tick_${process.pid}_${size.toLowerCase()}`, maxConnections: 2, cluster },
    async ({ stack, sink, db, url }) => {
      const generatedAt = Date.now();
      const sequenceId = await generateDataset(db, dataset, { host: sink.host, port: sink.port });
      // As autovacuum would have by now on a system this size: statistics, and a visibility map for the history.
      await sql`vacuum analyze`.execute(db);
      const generationMs = Date.now() - generatedAt;
      const ticks: TickRun[] = [];
      for (let round = 1; round <= rounds; round++) {
        await sql`
          update email_queues
          set status = 'scheduled', claim_token = null, claimed_at = null, capacity_day = null
          where sequence_id = ${sequenceId} and status <> 'scheduled'
        `.execute(db);
        await sql`delete from mailbox_daily_counts`.execute(db);
        await sql`delete from kafka_batches`.execute(db);
        await sql`vacuum analyze email_queues, mailbox_daily_counts, kafka_batches`.execute(db);
        const statements = await measureRound(db, url, stack, sequenceId);
        const tickCount = statements.find((statement) => statement.label === reserveCapacity)?.calls ?? 0;
        ticks.push({
          size,
          tableRows: dataset.history + dataset.due,
          mailboxes: dataset.mailboxes,
          due,
          generationMs,
          ticks: tickCount,
          ...tickTotals(statements, tickCount),
          statements,
        });
        onRound(ticks.at(-1)!, round);
      }
      return ticks;
    },
  );
}

/** Runs the producer until it has claimed every due email; returns the tick statements' figures. */
async function measureRound(db: Database, url: string, stack: TestStack, sequenceId: string): Promise<TickStatement[]> {
  if (!(await resetStatementStats(db))) {
    throw new Error('the tick scenario needs pg_stat_statements (the embedded server loads it; DATABASE_URL must too)');
  }
  const pipeline = await startPipeline({
    databaseUrl: url,
    kafkaBrokers: stack.broker.brokers,
    schemaRegistryUrl: stack.registry.url,
    env: { ...tickSettings, KAFKA_TOPIC_PREFIX: stack.topicPrefix },
    fromBuild: true,
    services: ['cron-producer'],
  });
  try {
    for (const deadline = Date.now() + 30 * 60_000; ;) {
      const { rows } = await sql<{ n: string }>`
        select count(*) as n from email_queues where sequence_id = ${sequenceId} and status = 'scheduled'
      `.execute(db);
      if (Number(rows[0]!.n) === 0) break;
      if (Date.now() > deadline) throw new Error('the producer did not claim all due emails in 30 min');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await pipeline.stop();
  }
  return statementFigures(db, tickStatements);
}
