import { sql } from 'kysely';

import { startPipeline, type KafkaCluster } from '@outflow/stack';

import { generateDataset, sizes, type Size } from './datasets.js';
import type { TickStatement } from './run-figures.js';
import { withRunEnvironment } from './run-environment.js';
import { statementFigures } from './statement-figures.js';
import { resetStatementStats } from './statement-stats.js';
import { settingsLine } from './summary.js';
import { statementRows } from './tick-summary.js';

export interface QueueStatsRun {
  size: Size;
  /** Rows in email_queues, and how many of them are due. */
  tableRows: number;
  due: number;
  mailboxes: number;
  generationMs: number;
  /** One refresh of the gauges, its statements' mean times (execution and planning) added up. */
  refreshMs: number;
  statements: TickStatement[];
}

/** The statements of one refresh of the producer's queue gauges (each runs once per refresh). */
const queueStatsStatements = [
  { label: 'emails in flight by status', fragment: 'outflow:prepared queue-in-flight-emails ' },
  { label: 'scheduled and due per mailbox', fragment: 'outflow:prepared queue-due-backlogs ' },
  { label: 'outbox backlog', fragment: 'outflow:prepared queue-outbox-backlog ' },
  { label: 'capacity of all mailboxes', fragment: 'outflow:prepared queue-capacity-totals ' },
] as const;

/** One refresh of the queue gauges: the mean of each of its statements (execution and planning), added up. */
function refreshTotal(statements: TickStatement[]): number {
  return Math.round(statements.reduce((sum, statement) => sum + statement.meanMs + statement.planMs, 0) * 100) / 100;
}

/** What the producer runs with: the gauges refreshed every second, and (almost) nothing claimed meanwhile. */
export const queueStatsSettings = {
  QUEUE_STATS_INTERVAL_MS: '1000',
  PRODUCER_TICK_MS: '3600000',
  PRODUCER_MAX_QUEUED: '1',
};

/**
 * The cost of the producer's queue gauges on a size's whole backlog: the size's dataset (S: 1e4 due of 1e5 rows,
 * M: 1e5 of 1e6, L: 1e6 of 1e7), everything due at once, left unclaimed while the real cron-producer refreshes
 * its gauges `refreshes` times; pg_stat_statements gives each statement's mean time, rows and buffers.
 */
export async function runQueueStats(
  adminUrl: string,
  size: Size,
  refreshes: number,
  cluster: KafkaCluster,
): Promise<QueueStatsRun> {
  const spec = sizes[size];
  return withRunEnvironment(
    adminUrl,
    { database: `outflow_bench_queue_stats_${process.pid}_${size.toLowerCase()}`, maxConnections: 2, cluster },
    async ({ stack, sink, db, url }) => {
      const generatedAt = Date.now();
      await generateDataset(db, spec, { host: sink.host, port: sink.port });
      // As autovacuum would have by now on a system this size: statistics, and a visibility map for the history.
      await sql`vacuum analyze`.execute(db);
      const generationMs = Date.now() - generatedAt;
      if (!(await resetStatementStats(db))) {
        throw new Error('the queue-stats scenario needs pg_stat_statements (the embedded server loads it)');
      }
      const pipeline = await startPipeline({
        databaseUrl: url,
        kafkaBrokers: stack.broker.brokers,
        schemaRegistryUrl: stack.registry.url,
        env: { ...queueStatsSettings, KAFKA_TOPIC_PREFIX: stack.topicPrefix },
        fromBuild: true,
        services: ['cron-producer'],
      });
      try {
        for (const deadline = Date.now() + 10 * 60_000; ;) {
          // Every statement runs once per refresh: the first one's calls count them.
          const [first] = await statementFigures(db, queueStatsStatements);
          if (first!.calls >= refreshes) break;
          if (Date.now() > deadline) throw new Error(`the producer did not refresh its gauges ${refreshes} times`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      } finally {
        await pipeline.stop();
      }
      const statements = await statementFigures(db, queueStatsStatements);
      return {
        size,
        tableRows: spec.history + spec.due,
        due: spec.due,
        mailboxes: spec.mailboxes,
        generationMs,
        refreshMs: refreshTotal(statements),
        statements,
      };
    },
  );
}

export function renderQueueStatsSummary(result: {
  broker: string;
  machine: Record<string, unknown>;
  settings: Record<string, string>;
  runs: QueueStatsRun[];
}): string {
  return [
    "# Benchmark: the producer's queue gauges on a whole backlog",
    '',
    settingsLine('Machine', result.machine),
    settingsLine('Producer settings', result.settings, '='),
    "Each size's dataset with everything due at once and left unclaimed; the real cron-producer refreshes its",
    'gauges (emails by status, the due backlog per mailbox, the outbox, capacity) every second. Times are',
    'PostgreSQL times from pg_stat_statements; a refresh is its statements added up.',
    '',
    '| size | email rows | due | mailboxes | generation s | refreshes | refresh ms (database) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...result.runs.map(
      (run) =>
        `| ${run.size} | ${run.tableRows} | ${run.due} | ${run.mailboxes} | ${Math.round(run.generationMs / 1000)} | ${run.statements[0]?.calls ?? 0} | ${run.refreshMs} |`,
    ),
    '',
    '| size | statement | calls | mean ms | planning ms | rows per call | buffers per call |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...result.runs.flatMap((run) => statementRows(run.size, run.statements)),
    '',
  ].join('\n');
}
