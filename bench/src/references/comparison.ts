import { brokerJitLine, settingsLine } from '../summary.js';
import type { ReferenceKind, ReferenceRun } from './reference-run.js';
import { type DrainRun, median } from '../run-figures.js';

/** One contender's figures: medians over its runs, and correctness summed over them. */
interface ContenderFigures {
  name: string;
  runs: number;
  emailsPerSecond: number;
  drainSeconds: number;
  cpuMsPerEmail: number;
  /** Median CPU ms per email of each process (the broker and PostgreSQL included). */
  cpuMsPerEmailByProcess: Record<string, number>;
  duplicatesAtSink: number;
  lost: number;
}

export interface Comparison {
  contenders: ContenderFigures[];
  /** Outflow's median rate over each reference's median rate. */
  ratios: Record<string, number>;
  /** Of the broker's CPU per email in Outflow's runs, its JIT compiler threads' (median). */
  brokerJitMsPerEmail?: number;
}

const outflowName = 'Outflow (5 services, Kafka)';
const referenceNames: Record<ReferenceKind, string> = {
  'bare-nodemailer': 'bare nodemailer pools (pre-rendered, no database)',
  'job-queue': 'graphile-worker, one job per email',
};

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function byProcessMedians(perRun: Record<string, number>[]): Record<string, number> {
  const names = [...new Set(perRun.flatMap((run) => Object.keys(run)))];
  return Object.fromEntries(names.map((name) => [name, round(median(perRun.map((run) => run[name] ?? 0)))]));
}

/** CPU ms per email of every process of an Outflow drain: the five services and what they run on. */
function outflowCpuByProcess(run: DrainRun): Record<string, number> {
  const all = {
    ...Object.fromEntries(Object.entries(run.processes).map(([name, stats]) => [name, stats.cpuSeconds ?? 0])),
    ...Object.fromEntries(
      Object.entries(run.infrastructure ?? {}).map(([name, stats]) => [name, stats.cpuSeconds ?? 0]),
    ),
  };
  return Object.fromEntries(Object.entries(all).map(([name, seconds]) => [name, (seconds * 1000) / run.sendable]));
}

function figures(
  name: string,
  runs: readonly {
    emailsPerSecond: number;
    drainSeconds: number;
    duplicates: number;
    lost: number;
    cpu: Record<string, number>;
  }[],
): ContenderFigures {
  return {
    name,
    runs: runs.length,
    emailsPerSecond: median(runs.map((run) => run.emailsPerSecond)),
    drainSeconds: round(median(runs.map((run) => run.drainSeconds))),
    cpuMsPerEmail: round(median(runs.map((run) => Object.values(run.cpu).reduce((sum, ms) => sum + ms, 0)))),
    cpuMsPerEmailByProcess: byProcessMedians(runs.map((run) => run.cpu)),
    duplicatesAtSink: runs.reduce((sum, run) => sum + run.duplicates, 0),
    lost: runs.reduce((sum, run) => sum + run.lost, 0),
  };
}

/** Outflow's drains beside each reference's runs of the same size, in the same sitting. */
export function compare(
  outflow: readonly DrainRun[],
  references: Partial<Record<ReferenceKind, readonly ReferenceRun[]>>,
): Comparison {
  const ours = figures(
    outflowName,
    outflow.map((run) => ({
      emailsPerSecond: run.emailsPerSecond,
      drainSeconds: run.drainSeconds,
      duplicates: run.correctness.duplicatesAtSink,
      lost: run.correctness.lost,
      cpu: outflowCpuByProcess(run),
    })),
  );
  const theirs = (Object.entries(references) as [ReferenceKind, readonly ReferenceRun[]][])
    .filter(([, runs]) => runs.length > 0)
    .map(([kind, runs]) =>
      figures(
        referenceNames[kind],
        runs.map((run) => ({
          emailsPerSecond: run.emailsPerSecond,
          drainSeconds: run.drainSeconds,
          duplicates: run.correctness.duplicatesAtSink,
          lost: run.correctness.lost,
          cpu: Object.fromEntries(
            Object.entries(run.cpuSeconds).map(([name, seconds]) => [name, (seconds * 1000) / run.sendable]),
          ),
        })),
      ),
    );
  const jit = outflow.map((run) => run.brokerJitCpuSeconds);
  return {
    ...(jit.length > 0 && jit.every((seconds) => seconds !== undefined)
      ? { brokerJitMsPerEmail: round(median(outflow.map((run) => (run.brokerJitCpuSeconds! * 1000) / run.sendable))) }
      : {}),
    contenders: [ours, ...theirs],
    ratios: Object.fromEntries(
      theirs.map((reference) => [reference.name, round(ours.emailsPerSecond / reference.emailsPerSecond)]),
    ),
  };
}

export function renderComparison(input: {
  size: string;
  broker: string;
  due: number;
  machine: Record<string, unknown>;
  /** Outflow's service settings in this sitting. */
  settings: Record<string, string>;
  comparison: Comparison;
}): string {
  const { comparison } = input;
  const processes = (contender: ContenderFigures) =>
    Object.entries(contender.cpuMsPerEmailByProcess)
      .sort(([, a], [, b]) => b - a)
      .map(([name, ms]) => `${name} ${ms}`)
      .join(', ');
  return [
    `# Outflow beside its references, ${input.size} (${input.due} due emails), ${new Date().toISOString()}`,
    '',
    `Broker: ${input.broker}. Machine: ${JSON.stringify(input.machine)}.`,
    settingsLine("Outflow's service settings", input.settings, '='),
    'Every contender sends the same due emails (same database generation, same renderer, same kind of sink, the',
    'same connections per mailbox), in one sitting, the runs interleaved. Medians of the runs; CPU is every',
    "process's, per email sent (the broker and PostgreSQL included).",
    '',
    '| contender | runs | emails/s | drain s | CPU ms/email | duplicates | lost | CPU ms/email by process |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...comparison.contenders.map(
      (contender) =>
        `| ${contender.name} | ${contender.runs} | ${contender.emailsPerSecond} | ${contender.drainSeconds} | ${contender.cpuMsPerEmail} | ${contender.duplicatesAtSink} | ${contender.lost} | ${processes(contender)} |`,
    ),
    '',
    ...Object.entries(comparison.ratios).map(([name, ratio]) => `- Outflow's rate / ${name}: **${ratio}×**`),
    '',
    ...brokerJitLine(comparison.brokerJitMsPerEmail),
  ].join('\n');
}
