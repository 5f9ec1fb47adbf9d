import { settingsLine } from './summary.js';
import { median, type TickRun, type TickStatement } from './run-figures.js';

/** Each figure of a tick as its median over the runs. */
export function medianTick(runs: TickRun[]): TickRun {
  const first = runs[0]!;
  const of = (pick: (run: TickRun) => number) => median(runs.map(pick));
  return {
    ...first,
    generationMs: of((run) => run.generationMs),
    ticks: of((run) => run.ticks),
    tickMs: of((run) => run.tickMs),
    tickPlanMs: of((run) => run.tickPlanMs),
    statements: first.statements.map((statement, index) => ({
      label: statement.label,
      calls: of((run) => run.statements[index]!.calls),
      meanMs: of((run) => run.statements[index]!.meanMs),
      planMs: of((run) => run.statements[index]!.planMs),
      rowsPerCall: of((run) => run.statements[index]!.rowsPerCall),
      buffersPerCall: of((run) => run.statements[index]!.buffersPerCall),
    })),
  };
}

export function renderTickSummary(result: {
  broker: string;
  machine: Record<string, unknown>;
  settings: Record<string, string>;
  sizes: { size: string; median: TickRun; runs: TickRun[] }[];
}): string {
  const lines = [
    `# Benchmark: producer tick scaling (median of ${result.sizes[0]?.runs.length ?? 0} rounds per size)`,
    '',
    settingsLine('Machine', result.machine),
    settingsLine('Producer settings', result.settings, '='),
    'The same due count on the same 100 mailboxes, in tables of each size (history fills the rest); the real',
    'cron-producer claims them one email per mailbox per tick. Each size is generated once and claimed in every',
    'round (the due emails are put back to scheduled and vacuumed in between). Times are PostgreSQL times from',
    'pg_stat_statements: a tick is every call of its statements (execution and planning) divided by the ticks;',
    'the claim includes the triggers of every claimed row.',
    '',
    '| size | email rows | mailboxes | due | generation s | ticks | tick ms (database) | of which planning |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...result.sizes.map(
      ({ size, median: m }) =>
        `| ${size} | ${m.tableRows} | ${m.mailboxes} | ${m.due} | ${Math.round(m.generationMs / 1000)} | ${m.ticks} | ${m.tickMs} | ${m.tickPlanMs} |`,
    ),
    '',
    '| size | statement | calls | mean ms | planning ms | rows per call | buffers per call |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...result.sizes.flatMap(({ size, median: m }) => statementRows(size, m.statements)),
    '',
  ];
  return lines.join('\n');
}

/** A statements table's rows: size, label, calls, mean and planning ms, rows and buffers per call. */
export function statementRows(size: string, statements: TickStatement[]): string[] {
  return statements.map(
    (statement) =>
      `| ${size} | ${statement.label} | ${statement.calls} | ${statement.meanMs} | ${statement.planMs} | ${statement.rowsPerCall} | ${statement.buffersPerCall} |`,
  );
}
