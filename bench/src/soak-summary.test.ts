import { describe, expect, it } from '@jest/globals';
import { soakFigures } from './soak-summary.js';

const sample = (atSeconds: number, arrived: number, senderRss: number) => ({
  atSeconds,
  arrived,
  rssMb: { 'smtp-sender': senderRss, 'cron-producer': null },
  deadTuples: { email_queues: 0 },
});

describe('soakFigures', () => {
  it('gives the rate between samples and the RSS growth from the first sample to the last', () => {
    const figures = soakFigures([sample(60, 1_000, 100), sample(120, 4_000, 104), sample(180, 7_000, 112)]);
    expect(figures.windows).toEqual([
      { atSeconds: 120, emailsPerSecond: 50 },
      { atSeconds: 180, emailsPerSecond: 50 },
    ]);
    expect(figures.rssGrowthPercent).toEqual({ 'smtp-sender': 12, 'cron-producer': null });
  });
});
