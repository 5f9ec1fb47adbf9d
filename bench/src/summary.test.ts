import { describe, expect, it } from '@jest/globals';

import { zipfShares } from './datasets.js';

import { cpuMsPerEmail, renderDrainSummary, renderSteadySummary, summarizeDrains } from './summary.js';
import { type DrainRun, median, percentiles } from './run-figures.js';

const run = (emailsPerSecond: number, duplicates = 0, cpu = 50): DrainRun => ({
  generationMs: 1,
  drainSeconds: 10_000 / emailsPerSecond,
  emailsPerSecond,
  firstToLastArrivalSeconds: 1,
  sendable: 10_000,
  correctness: { duplicatesAtSink: duplicates, sentInDatabase: 10_000 - duplicates, lost: 0, overCapacity: 0 },
  processes: { 'smtp-sender': { cpuPercent: cpu, peakRssMb: 100 } },
});

/** The drain summary of these runs, as the bench writes it. */
const summaryOf = (runs: DrainRun[], size = 'S'): string =>
  renderDrainSummary({
    size,
    broker: 'test',
    machine: { cpus: 2 },
    settings: {},
    dataset: { due: 10_000 },
    median: summarizeDrains(runs),
    runs,
  });

describe('bench summaries', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });

  it('reports figures as medians but correctness as the worst run', () => {
    const summary = summarizeDrains([run(200, 0, 40), run(180, 2, 60), run(210, 0, 50)]);
    expect(summary.emailsPerSecond).toBe(200);
    // CPU per email from the rounded CPU % when a run has no CPU seconds: 40% of 50 s over 10 000 emails is 2 ms.
    expect(summary.processes['smtp-sender']).toEqual({ cpuPercent: 50, cpuMsPerEmail: 2.38, peakRssMb: 100 });
    expect(summary.correctness).toEqual({ duplicatesAtSink: 2, lost: 0, sentInDatabase: 9_998, overCapacity: 0 });
  });

  it('gives the median peak RSS of an even number of runs to 0.1 MB', () => {
    const withRss = (peakRssMb: number): DrainRun => ({
      ...run(500),
      processes: { 'retry-consumer': { cpuPercent: 4, peakRssMb } },
    });
    const rss = summarizeDrains([withRss(84.9), withRss(85)]).processes['retry-consumer']!.peakRssMb;
    expect(String(rss)).toMatch(/^\d+(\.\d)?$/);
    expect(rss).toBe(85);
  });

  it('counts CPU per email from CPU seconds, adds up every process, and says what saturated cores would carry', () => {
    const measured = (cpuSeconds: number): DrainRun => ({
      ...run(500),
      processes: { 'smtp-sender': { cpuPercent: 99, cpuSeconds, peakRssMb: 100 } },
      infrastructure: { 'postgres (all backends)': { cpuPercent: 99, cpuSeconds: 12 } },
    });
    const runs = [measured(15), measured(13), measured(20)];
    // Sums of per-process figures stay at two decimals (0.1 + 0.2 is not 0.3 in floating point).
    expect(
      summarizeDrains([
        {
          ...run(500),
          processes: { a: { cpuPercent: 1, cpuSeconds: 1, peakRssMb: 1 } },
          infrastructure: { b: { cpuPercent: 1, cpuSeconds: 2 } },
        },
      ]).cpuMsPerEmail,
    ).toBe(0.3);
    const summary = summarizeDrains(runs);
    expect(summary.processes['smtp-sender']?.cpuMsPerEmail).toBe(1.5);
    expect(summary.infrastructure['postgres (all backends)']?.cpuMsPerEmail).toBe(1.2);
    expect(summary.cpuMsPerEmail).toBe(2.7);
    expect(cpuMsPerEmail({ drainSeconds: 1, sendable: 0 }, { cpuPercent: 10 })).toBe(0);
    const markdown = summaryOf(runs);
    expect(markdown).toContain('| smtp-sender | 99 | 1.5 | 100 |');
    expect(markdown).toContain('| all together | | 2.7 | |');
    expect(markdown).toContain('at 2.7 ms in all, 2 saturated cores would carry at most 741 emails/s.');
  });

  it("shows the last run's timeline: RSS growth and a row per spread sample", () => {
    const timeline = Array.from({ length: 40 }, (_, index) => ({
      atSeconds: index * 60,
      arrived: index * 30_000,
      rssMb: { 'smtp-sender': 120 + index / 2 },
      deadTuples: { email_queues: 1_000 },
    }));
    const runs = [run(500), { ...run(500), timeline }];
    const markdown = summaryOf(runs, 'L');
    expect(markdown).toContain('Over the last run (RSS growth from the first sample to the last: smtp-sender 16.3%):');
    const rows = markdown.split('\n').filter((line) => /^\| \d+ \|/.test(line));
    expect(rows).toHaveLength(12);
    expect(rows[0]).toBe('| 0 |  | 120 | 1000 |');
    expect(rows.at(-1)).toBe('| 2340 | 500 | 139.5 | 1000 |');
  });

  it("shows the last run's write-ahead log: per email, and the checkpoints with their settings", () => {
    const wal = {
      bytesPerEmail: 11_000,
      recordsPerEmail: 74.5,
      fullPageImagesPerEmail: 3.25,
      checkpoints: { timed: 1, requested: 2 },
      settings: { max_wal_size: '1GB', checkpoint_timeout: '5min' },
    };
    expect(summaryOf([{ ...run(1_000), wal }])).toContain(
      'Write-ahead log (last run): 11000 bytes, 74.5 records and 3.25 full-page images per email; 1 checkpoints by ' +
        'time and 2 by log volume (max_wal_size 1GB, checkpoint_timeout 5min).',
    );
    expect(summaryOf([run(1_000)])).not.toContain('Write-ahead log');
  });

  it('shows where the lag of each load level goes, stage by stage, as medians over the runs', () => {
    const stages = (claim: number, start: number, sink: number): DrainRun => ({
      ...run(446),
      lagStagesMs: {
        toClaim: { p50: claim, p95: claim, p99: claim, max: claim },
        toStart: { p50: start, p95: start, p99: start, max: start },
        toSink: { p50: sink, p95: sink, p99: sink, max: sink },
      },
    });
    const runs = [stages(120, 70, 15), stages(130, 90, 14), stages(125, 60, 40)];
    const summary = renderSteadySummary({
      size: 'S',
      broker: 'test',
      machine: { cpus: 2 },
      settings: {},
      drainRate: { emailsPerSecond: 892, measured: false },
      levels: [{ loadPercent: 50, ratePerSecond: 446, median: summarizeDrains(runs), runs }],
    });
    expect(summary).toContain('| load | due to claimed | claimed to send started | send started to sink |');
    expect(summary).toContain('| 50% | 125 / 125 / 125 / 125 | 70 / 70 / 70 / 70 | 15 / 15 / 15 / 15 |');
  });
});

describe('zipfShares', () => {
  it('gives mailbox k a share proportional to 1/k that adds up to the due count', () => {
    const shares = zipfShares(10_000, 100);
    expect(shares.reduce((sum, share) => sum + share, 0)).toBe(10_000);
    expect(shares[0]).toBeGreaterThan(1_900);
    expect(Math.abs(shares[0]! / shares[1]! - 2)).toBeLessThan(0.01);
    expect(shares[99]).toBeGreaterThanOrEqual(19);
    expect(zipfShares(3, 5)).toEqual([2, 1, 0, 0, 0]);
  });
});

describe('percentiles', () => {
  it('takes the nearest rank of each percentile, rounded, and the maximum', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1.4);
    expect(percentiles(values)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([7.6])).toEqual({ p50: 8, p95: 8, p99: 8, max: 8 });
    expect(percentiles([])).toBeUndefined();
  });
});
