import { describe, expect, it } from '@jest/globals';

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
});
