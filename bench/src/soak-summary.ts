import { settingsLine } from './summary.js';
import { renderTimeline, showGrowth, timelineFigures } from './timeline-table.js';
import type { DrainRun } from './run-figures.js';

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
  const { rssGrowthPercent, rssGrowthAfterWarmUpPercent, warmedUpAtSeconds } = timelineFigures(timeline);
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
    `RSS growth from the first sample to the last: ${showGrowth(rssGrowthPercent)}; from the end of the warm-up ` +
      `(the sample at ${warmedUpAtSeconds ?? 'n/a'} s, a tenth of the run in) to the last: ${showGrowth(
        rssGrowthAfterWarmUpPercent,
      )}.`,
    '',
    ...renderTimeline(timeline),
    '',
  ];
  return lines.join('\n');
}
