import type { DrainRun } from './run-figures.js';
import { settingsLine, summarizeDrains } from './summary.js';

/** One way of running the services in the tracing scenario: its name and the variables it adds. */
interface TracingVariant {
  name: string;
  env: Record<string, string>;
}

export interface TracingVariantRuns {
  variant: TracingVariant;
  runs: DrainRun[];
  /** What the services exported to the bench's receiver over all its runs. */
  exported: { requests: number; bytes: number };
}

/** The tracing cost relative to the first variant (off): medians, and each one's rate and CPU over off's. */
export function summarizeTracing(variants: TracingVariantRuns[]) {
  const summaries = variants.map(({ variant, runs, exported }) => {
    const summary = summarizeDrains(runs);
    const servicesCpu = Object.values(summary.processes).reduce((sum, process) => sum + process.cpuMsPerEmail, 0);
    return {
      name: variant.name,
      env: variant.env,
      runs: runs.length,
      emailsPerSecond: summary.emailsPerSecond,
      cpuMsPerEmail: summary.cpuMsPerEmail,
      servicesCpuMsPerEmail: Math.round(servicesCpu * 1000) / 1000,
      duplicatesAtSink: summary.correctness.duplicatesAtSink,
      lost: summary.correctness.lost,
      exportedKbPerEmail: Math.round((exported.bytes / 1024 / Math.max(1, summary.sendable * runs.length)) * 100) / 100,
    };
  });
  const off = summaries[0]!;
  return summaries.map((summary) => ({
    ...summary,
    /** This variant's rate over off's: 0.93 is 7 % slower. */
    rateVersusOff: Math.round((summary.emailsPerSecond / off.emailsPerSecond) * 1000) / 1000,
    /** The services' CPU per email over off's. */
    servicesCpuVersusOff: Math.round((summary.servicesCpuMsPerEmail / off.servicesCpuMsPerEmail) * 1000) / 1000,
  }));
}

export function renderTracingSummary(input: {
  size: string;
  due: number;
  broker: string;
  machine: Record<string, unknown>;
  settings: Record<string, string>;
  variants: ReturnType<typeof summarizeTracing>;
}): string {
  return [
    `# The cost of tracing, ${input.size} (${input.due} due emails), ${new Date().toISOString()}`,
    '',
    `Broker: ${input.broker}. Machine: ${JSON.stringify(input.machine)}.`,
    settingsLine("Outflow's service settings", input.settings, '='),
    'The same drain with tracing off, at 1 % of emails and at every email, the runs interleaved in one sitting;',
    'spans go over OTLP/HTTP to a receiver in the bench process that only counts them. Medians of the runs; the',
    "services' CPU is the five services' own, per email sent.",
    '',
    '| tracing | runs | emails/s | rate vs off | CPU ms/email (all) | services CPU ms/email | services CPU vs off | exported KB/email | duplicates | lost |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...input.variants.map(
      (variant) =>
        `| ${variant.name} | ${variant.runs} | ${variant.emailsPerSecond} | ${variant.rateVersusOff} | ${variant.cpuMsPerEmail} | ${variant.servicesCpuMsPerEmail} | ${variant.servicesCpuVersusOff} | ${variant.exportedKbPerEmail} | ${variant.duplicatesAtSink} | ${variant.lost} |`,
    ),
    '',
  ].join('\n');
}
