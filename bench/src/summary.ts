import { renderTimeline, showGrowth, timelineFigures } from './timeline-table.js';
import { type DrainRun, type FailedAttempts, median, type Percentiles } from './run-figures.js';

/** "Label: key value, key value." for the setup lines every summary starts with. */
export function settingsLine(label: string, entries: Record<string, unknown>, separator = ' '): string {
  return `${label}: ${Object.entries(entries)
    .map(([key, value]) => `${key}${separator}${String(value)}`)
    .join(', ')}.`;
}

/** Each percentile as its median over the runs that measured it. */
function medianPercentiles(values: (Percentiles | undefined)[]): Percentiles | undefined {
  const measured = values.filter((value): value is Percentiles => value !== undefined);
  if (measured.length === 0) return undefined;
  const of = (key: keyof Percentiles) => Math.round(median(measured.map((value) => value[key])));
  return { p50: of('p50'), p95: of('p95'), p99: of('p99'), max: of('max') };
}

const showPercentiles = (value: Percentiles | undefined) =>
  value ? `${value.p50} / ${value.p95} / ${value.p99} / ${value.max}` : 'n/a';

/** A median of two values is their mean: kept to 0.001 so it prints as 0.205, not 0.20500000000000002. */
const toThousandths = (value: number) => Math.round(value * 1000) / 1000;

/** Every figure as the median over the runs; correctness as the worst run (it must be clean in all of them). */
export function summarizeDrains(runs: DrainRun[]) {
  const names = Object.keys(runs[0]?.processes ?? {});
  return {
    runs: runs.length,
    sendable: median(runs.map((run) => run.sendable)),
    drainSeconds: median(runs.map((run) => run.drainSeconds)),
    emailsPerSecond: median(runs.map((run) => run.emailsPerSecond)),
    firstToLastArrivalSeconds: median(runs.map((run) => run.firstToLastArrivalSeconds)),
    smtpConnectionsPeak: median(runs.map((run) => run.smtpConnectionsPeak ?? 0)),
    lagMs: medianPercentiles(runs.map((run) => run.lagMs)),
    followupMs: medianPercentiles(runs.map((run) => run.followupMs)),
    lagStagesMs: {
      toClaim: medianPercentiles(runs.map((run) => run.lagStagesMs?.toClaim)),
      toStart: medianPercentiles(runs.map((run) => run.lagStagesMs?.toStart)),
      toSink: medianPercentiles(runs.map((run) => run.lagStagesMs?.toSink)),
    },
    correctness: {
      duplicatesAtSink: Math.max(...runs.map((run) => run.correctness.duplicatesAtSink)),
      lost: Math.max(...runs.map((run) => run.correctness.lost)),
      sentInDatabase: Math.min(...runs.map((run) => run.correctness.sentInDatabase)),
      overCapacity: Math.max(...runs.map((run) => run.correctness.overCapacity)),
    },
    infrastructure: Object.fromEntries(
      Object.keys(runs[0]?.infrastructure ?? {}).map((name) => [
        name,
        {
          cpuPercent: median(runs.map((run) => run.infrastructure?.[name]?.cpuPercent ?? 0)),
          cpuMsPerEmail: toThousandths(median(runs.map((run) => cpuMsPerEmail(run, run.infrastructure?.[name])))),
        },
      ]),
    ),
    processes: Object.fromEntries(
      names.map((name) => [
        name,
        {
          cpuPercent: median(runs.map((run) => run.processes[name]?.cpuPercent ?? 0)),
          cpuMsPerEmail: toThousandths(median(runs.map((run) => cpuMsPerEmail(run, run.processes[name])))),
          // To 0.1 MB, as sampled: the mean of two middle runs would otherwise print as 84.94999999999999.
          peakRssMb: Math.round(median(runs.map((run) => run.processes[name]?.peakRssMb ?? 0)) * 10) / 10,
        },
      ]),
    ),
    /** Of the broker's CPU per email, its JIT compiler threads' (median; undefined in results written before). */
    brokerJitMsPerEmail: runs.every((run) => run.brokerJitCpuSeconds !== undefined)
      ? toThousandths(median(runs.map((run) => (run.brokerJitCpuSeconds! * 1000) / run.sendable)))
      : undefined,
    /** CPU time per email of every process together (services, PostgreSQL, broker, bench), median over runs. */
    cpuMsPerEmail: toThousandths(
      median(
        runs.map(
          (run) =>
            Math.round(
              [...Object.values(run.processes), ...Object.values(run.infrastructure ?? {})].reduce(
                (sum, usage) => sum + cpuMsPerEmail(run, usage),
                0,
              ) * 100,
            ) / 100,
        ),
      ),
    ),
  };
}

/** Says how much of the broker's CPU went to compiling, so a cold broker's figures are recognised as such. */
export function brokerJitLine(msPerEmail: number | undefined): string[] {
  if (msPerEmail === undefined) return [];
  return [`Of the broker's CPU, its JIT compiler threads used ${msPerEmail} ms per email (a warm broker: near 0).`, ''];
}

/**
 * A process's CPU time per email delivered in a run, ms (to 0.01). On a machine whose cores are not saturated,
 * throughput cannot show a change in cost; this can. Results written before CPU seconds were recorded derive it
 * from the rounded CPU %.
 */
export function cpuMsPerEmail(
  run: Pick<DrainRun, 'drainSeconds' | 'sendable'>,
  usage: { cpuPercent: number; cpuSeconds?: number } | undefined,
): number {
  if (!usage || run.sendable === 0) return 0;
  const seconds = usage.cpuSeconds ?? (usage.cpuPercent / 100) * run.drainSeconds;
  return Math.round((seconds * 1000 * 100) / run.sendable) / 100;
}

function showFailedAttempts(failed: FailedAttempts | undefined): string {
  if (!failed) return 'not counted';
  const entries = Object.entries(failed);
  if (entries.length === 0) return '0';
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 160);
  return entries.map(([code, { count, example }]) => `${count} ${code} (e.g. "${cell(example)}")`).join(', ');
}

export function renderDrainSummary(result: {
  size: string;
  broker: string;
  machine: Record<string, unknown>;
  settings: Record<string, string>;
  dataset: Record<string, unknown>;
  median: ReturnType<typeof summarizeDrains>;
  runs: DrainRun[];
}): string {
  const m = result.median;
  const lines = [
    `# Benchmark: drain, size ${result.size} (median of ${m.runs} run${m.runs === 1 ? '' : 's'})`,
    '',
    `Broker: ${result.broker}.`,
    settingsLine('Machine', result.machine),
    settingsLine('Dataset', result.dataset),
    settingsLine('Service settings', result.settings, '='),
    ...(m.sendable === result.dataset['due']
      ? []
      : [
          `Capacity: the mailboxes may send ${m.sendable} of the ${String(result.dataset['due'])} due emails today; the drain`,
          'ends when those have arrived, and the rest must stay scheduled.',
        ]),
    '',
    '| figure | median | runs |',
    '| --- | --- | --- |',
    `| emails/s end to end | ${m.emailsPerSecond} | ${result.runs.map((run) => run.emailsPerSecond).join(', ')} |`,
    `| drain seconds | ${m.drainSeconds} | ${result.runs.map((run) => run.drainSeconds).join(', ')} |`,
    `| first to last arrival, s | ${m.firstToLastArrivalSeconds} | ${result.runs.map((run) => run.firstToLastArrivalSeconds).join(', ')} |`,
    `| SMTP connections open at once at the sink (each until its QUIT is answered), peak | ${m.smtpConnectionsPeak} | ${result.runs.map((run) => run.smtpConnectionsPeak ?? '').join(', ')} |`,
    `| failed send attempts (retried or ended), last run | ${showFailedAttempts(result.runs.at(-1)?.failedAttempts)} | |`,
    `| duplicates at sink (worst) | ${m.correctness.duplicatesAtSink} | ${result.runs.map((run) => run.correctness.duplicatesAtSink).join(', ')} |`,
    `| lost (worst) | ${m.correctness.lost} | ${result.runs.map((run) => run.correctness.lost).join(', ')} |`,
    `| mailboxes over their daily capacity (worst) | ${m.correctness.overCapacity} | ${result.runs.map((run) => run.correctness.overCapacity).join(', ')} |`,
    `| wait in the backlog (arrival - scheduled_for), ms p50 / p95 / p99 / max | ${showPercentiles(m.lagMs)} | |`,
    `| follow-up latency (step 2 scheduled - step 1 sent), ms p50 / p95 / p99 / max | ${showPercentiles(m.followupMs)} | |`,
    '',
    '| process | CPU % (median) | CPU ms per email (median) | peak RSS MB (median) |',
    '| --- | --- | --- | --- |',
    ...Object.entries(m.processes).map(
      ([name, p]) => `| ${name} | ${p.cpuPercent} | ${p.cpuMsPerEmail} | ${p.peakRssMb} |`,
    ),
    ...Object.entries(m.infrastructure).map(([name, p]) => `| ${name} | ${p.cpuPercent} | ${p.cpuMsPerEmail} | |`),
    `| all together | | ${m.cpuMsPerEmail} | |`,
    '',
    ...brokerJitLine(m.brokerJitMsPerEmail),
    ...cpuCeiling(m.cpuMsPerEmail, Number(result.machine['cpus'])),
    '',
    ...renderDrainTimeline(result.runs.at(-1)?.timeline),
    ...renderVacuum(result.runs.at(-1)?.vacuum),
    ...renderWal(result.runs.at(-1)?.wal),
    ...renderStatements(result.runs.at(-1)?.statements),
    ...renderProfiles(result.runs.at(-1)?.profiles),
  ];
  return `${lines.join('\n')}`;
}

/** What the CPU figures mean, and the throughput they would allow if every core were busy with nothing else. */
function cpuCeiling(msPerEmail: number, cpus: number): string[] {
  const ceiling = msPerEmail > 0 && cpus > 0 ? Math.round((cpus * 1000) / msPerEmail) : undefined;
  return [
    `CPU % is of one core (the machine has ${cpus}). CPU ms per email is CPU time over the drain divided by the`,
    `emails delivered${ceiling === undefined ? '.' : `: at ${msPerEmail} ms in all, ${cpus} saturated cores would carry at most ${ceiling} emails/s.`}`,
    '',
  ];
}

/** RSS and dead tuples over the last run: whether a peak was a plateau or a climb. */
function renderDrainTimeline(timeline: DrainRun['timeline']): string[] {
  if (!timeline || timeline.length < 2) return [];
  const { rssGrowthPercent } = timelineFigures(timeline);
  return [
    `Over the last run (RSS growth from the first sample to the last: ${showGrowth(rssGrowthPercent)}):`,
    '',
    ...renderTimeline(timeline, 12),
    '',
  ];
}

/** Whether autovacuum kept up with the tables every email rewrites. */
function renderVacuum(vacuum: DrainRun['vacuum']): string[] {
  if (!vacuum || vacuum.length === 0) return [];
  return [
    '| table (last run) | autovacuum runs during the drain | dead row versions at the end |',
    '| --- | --- | --- |',
    ...vacuum.map((table) => `| ${table.table} | ${table.autovacuums} | ${table.deadTuples} |`),
    '',
  ];
}

/** How much the drain logged, and how much of it was whole pages (each page's first change after a checkpoint). */
function renderWal(wal: DrainRun['wal']): string[] {
  if (!wal) return [];
  const { checkpoints, settings } = wal;
  return [
    `Write-ahead log (last run): ${wal.bytesPerEmail} bytes, ${wal.recordsPerEmail} records and ` +
      `${wal.fullPageImagesPerEmail} full-page images per email; ${checkpoints.timed} checkpoints by time and ` +
      `${checkpoints.requested} by log volume (max_wal_size ${settings.max_wal_size}, checkpoint_timeout ` +
      `${settings.checkpoint_timeout}).`,
    '',
  ];
}

/** Where each service's CPU time went (self time by origin and the top functions), from a profiled run. */
function renderProfiles(profiles: DrainRun['profiles']): string[] {
  if (!profiles) return [];
  const lines = ['## Where the CPU time goes (last run, under `node --cpu-prof`)', ''];
  for (const [name, profile] of Object.entries(profiles)) {
    lines.push(
      `### ${name}: ${profile.busySeconds} s busy`,
      '',
      `By origin: ${profile.byOrigin.map((entry) => `${entry.origin} ${entry.percent}%`).join(', ')}.`,
      '',
      '| function (self time) | % |',
      '| --- | --- |',
      ...profile.topFunctions.map((entry) => `| \`${entry.name}\` | ${entry.percent} |`),
      '',
    );
  }
  return lines;
}

/** The statements that took the most PostgreSQL time (pg_stat_statements, last run). */
function renderStatements(statements: DrainRun['statements']): string[] {
  if (!statements) return [];
  return [
    '## Where the PostgreSQL time goes (last run, pg_stat_statements)',
    '',
    'Rows marked "nested" ran inside a trigger or function: their time is also part of the statement that fired them.',
    '',
    '| statement | calls | total ms | mean ms | rows | buffers |',
    '| --- | --- | --- | --- | --- | --- |',
    ...statements.map(
      (s) =>
        `| ${s.topLevel ? '' : '(nested) '}\`${s.query.replace(/\|/g, '\\|')}\` | ${s.calls} | ${s.totalMs} | ${s.meanMs} | ${s.rows} | ${s.buffers} |`,
    ),
    '',
  ];
}

export interface SteadyLevel {
  loadPercent: number;
  ratePerSecond: number;
  median: ReturnType<typeof summarizeDrains>;
  runs: DrainRun[];
}

/** Steady state: per load level, the lag and follow-up latency percentiles and what each process cost. */
export function renderSteadySummary(result: {
  size: string;
  broker: string;
  machine: Record<string, unknown>;
  settings: Record<string, string>;
  drainRate: { emailsPerSecond: number; measured: boolean };
  levels: SteadyLevel[];
}): string {
  const names = Object.keys(result.levels[0]?.median.processes ?? {});
  const infrastructure = Object.keys(result.levels[0]?.median.infrastructure ?? {});
  const lines = [
    `# Benchmark: steady state, size ${result.size} (median of ${result.levels[0]?.median.runs ?? 0} runs per level)`,
    '',
    `Broker: ${result.broker}.`,
    settingsLine('Machine', result.machine),
    settingsLine('Service settings', result.settings, '='),
    `Load levels are shares of a drain rate of ${result.drainRate.emailsPerSecond} emails/s (${
      result.drainRate.measured ? 'measured by a drain just before' : 'given with --drain-rate'
    }). Every email comes due at its own time; lag is its arrival at the sink minus that time.`,
    '',
    '| load | rate /s | lag ms p50 / p95 / p99 / max | follow-up ms p50 / p95 / p99 / max | duplicates | lost |',
    '| --- | --- | --- | --- | --- | --- |',
    ...result.levels.map(
      (level) =>
        `| ${level.loadPercent}% | ${level.ratePerSecond} | ${showPercentiles(level.median.lagMs)} | ${showPercentiles(
          level.median.followupMs,
        )} | ${level.median.correctness.duplicatesAtSink} | ${level.median.correctness.lost} |`,
    ),
    '',
    'Where the lag goes, ms p50 / p95 / p99 / max per stage, on the times the database records: due to claimed (the',
    "producer's tick and claim), claimed to send started (Kafka, the sender's fetch, its context read and its wait for",
    'a connection of the mailbox), send started to arrival at the sink (rendering and SMTP).',
    '',
    '| load | due to claimed | claimed to send started | send started to sink |',
    '| --- | --- | --- | --- |',
    ...result.levels.map(
      (level) =>
        `| ${level.loadPercent}% | ${showPercentiles(level.median.lagStagesMs.toClaim)} | ${showPercentiles(
          level.median.lagStagesMs.toStart,
        )} | ${showPercentiles(level.median.lagStagesMs.toSink)} |`,
    ),
    '',
    `| load | ${[...names, ...infrastructure].join(' | ')} |`,
    `| --- | ${[...names, ...infrastructure].map(() => '---').join(' | ')} |`,
    ...result.levels.map(
      (level) =>
        `| ${level.loadPercent}% CPU % | ${[
          ...names.map((name) => level.median.processes[name]?.cpuPercent ?? ''),
          ...infrastructure.map((name) => level.median.infrastructure[name]?.cpuPercent ?? ''),
        ].join(' | ')} |`,
    ),
    ...result.levels.map(
      (level) =>
        `| ${level.loadPercent}% peak RSS MB | ${[
          ...names.map((name) => level.median.processes[name]?.peakRssMb ?? ''),
          ...infrastructure.map(() => ''),
        ].join(' | ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
