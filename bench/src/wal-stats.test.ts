import { describe, expect, it } from '@jest/globals';
import type { DrainRun } from './drain-run.js';
import { renderDrainSummary, summarizeDrains } from './summary.js';
import { walFigures, type WalCounters } from './wal-stats.js';

const counters = (bytes: number, records: number, fpi: number, timed: number, requested: number): WalCounters => ({
  bytes,
  records,
  fullPageImages: fpi,
  checkpointsTimed: timed,
  checkpointsRequested: requested,
});

describe('write-ahead log figures', () => {
  it('takes what was written between two readings, per email, and the checkpoints in between', () => {
    const settings = { max_wal_size: '1GB', checkpoint_timeout: '5min' };
    const figures = walFigures(
      counters(1_000, 10, 1, 3, 1),
      counters(11_001_000, 74_010, 3_001, 5, 4),
      1_000,
      settings,
    );
    expect(figures).toEqual({
      bytesPerEmail: 11_000,
      recordsPerEmail: 74,
      fullPageImagesPerEmail: 3,
      checkpoints: { timed: 2, requested: 3 },
      settings,
    });
    expect(walFigures(counters(0, 0, 0, 0, 0), counters(5, 5, 5, 0, 0), 0, settings).bytesPerEmail).toBe(0);
  });

  it("shows the last run's log in the drain summary", () => {
    const run: DrainRun = {
      generationMs: 1,
      drainSeconds: 10,
      emailsPerSecond: 1_000,
      firstToLastArrivalSeconds: 1,
      sendable: 10_000,
      correctness: { duplicatesAtSink: 0, sentInDatabase: 10_000, lost: 0, overCapacity: 0 },
      processes: {},
      wal: walFigures(counters(0, 0, 0, 0, 0), counters(110_000_000, 745_000, 32_500, 1, 2), 10_000, {
        max_wal_size: '1GB',
        checkpoint_timeout: '5min',
      }),
    };
    const markdown = renderDrainSummary({
      size: 'S',
      broker: 'test',
      machine: { cpus: 2 },
      settings: {},
      dataset: { due: 10_000 },
      median: summarizeDrains([run]),
      runs: [run],
    });
    expect(markdown).toContain(
      'Write-ahead log (last run): 11000 bytes, 74.5 records and 3.25 full-page images per email; 1 checkpoints by ' +
        'time and 2 by log volume (max_wal_size 1GB, checkpoint_timeout 5min).',
    );
  });
});
