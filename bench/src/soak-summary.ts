import type { DrainRun, TimelineSample } from './drain-run.js';
import { settingsLine } from './summary.js';

/** Emails/s between consecutive samples, and each service's RSS growth from the first sample to the last. */
export function soakFigures(timeline: TimelineSample[]) {
  const windows = timeline.slice(1).map((sample, index) => {
    const previous = timeline[index]!;
    const seconds = sample.atSeconds - previous.atSeconds;
    return {
      atSeconds: sample.atSeconds,
      emailsPerSecond: seconds > 0 ? Math.round((sample.arrived - previous.arrived) / seconds) : 0,
    };
  });
  const first = timeline[0];
  const last = timeline.at(-1);
  const rssGrowthPercent = Object.fromEntries(
    Object.keys(first?.rssMb ?? {}).map((name) => {
      const from = first?.rssMb[name];
      const to = last?.rssMb[name];
      return [name, from && to ? Math.round(((to - from) / from) * 1000) / 10 : null];
    }),
  );
  return { windows, rssGrowthPercent };
}

export function renderSoakSummary(result: {
  size: string;
  broker: string;
  machine: Record<string, unknown>;
  settings: Record<string, string>;
  minutes: number;
  loadPercent: number;
  ratePerSecond: number;
  drainRate: { emailsPerSecond: number; measured: boolean };
  run: DrainRun;
}): string {
  const timeline = result.run.timeline ?? [];
  const { windows, rssGrowthPercent } = soakFigures(timeline);
  const names = Object.keys(timeline[0]?.rssMb ?? {});
  const tables = Object.keys(timeline[0]?.deadTuples ?? {});
  const lines = [
    `# Benchmark: soak, ${result.minutes} min at ${result.loadPercent}% (${result.ratePerSecond} emails/s), size ${result.size}`,
    '',
    `Broker: ${result.broker}.`,
    settingsLine('Machine', result.machine),
    settingsLine('Service settings', result.settings, '='),
    `Load: ${result.loadPercent}% of a drain rate of ${result.drainRate.emailsPerSecond} emails/s (${
      result.drainRate.measured ? 'measured by a drain just before' : 'given with --drain-rate'
    }).`,
    '',
    `Duplicates ${result.run.correctness.duplicatesAtSink}, lost ${result.run.correctness.lost}; lag ms p50 / p95 / p99 / max ${
      result.run.lagMs ? Object.values(result.run.lagMs).join(' / ') : 'n/a'
    }; follow-up ms ${result.run.followupMs ? Object.values(result.run.followupMs).join(' / ') : 'n/a'}.`,
    '',
    `RSS growth from the first sample to the last: ${names
      .map((name) => `${name} ${rssGrowthPercent[name] ?? 'n/a'}%`)
      .join(', ')}.`,
    '',
    `| at s | emails/s since previous | ${names.map((name) => `${name} RSS MB`).join(' | ')} | ${tables
      .map((table) => `${table} dead`)
      .join(' | ')} |`,
    `| --- | --- | ${[...names, ...tables].map(() => '---').join(' | ')} |`,
    ...timeline.map(
      (sample, index) =>
        `| ${sample.atSeconds} | ${index === 0 ? '' : windows[index - 1]!.emailsPerSecond} | ${names
          .map((name) => sample.rssMb[name] ?? '')
          .join(' | ')} | ${tables.map((table) => sample.deadTuples[table] ?? '').join(' | ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
