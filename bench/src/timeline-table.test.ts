import { describe, expect, it } from '@jest/globals';

import { renderTimeline, spreadSamples, timelineFigures } from './timeline-table.js';

const sample = (atSeconds: number, arrived: number, senderRss: number) => ({
  atSeconds,
  arrived,
  rssMb: { 'smtp-sender': senderRss, 'cron-producer': null },
  deadTuples: { email_queues: 0 },
});

describe('timelineFigures', () => {
  it('gives the rate between samples and the RSS growth from the first sample to the last', () => {
    const figures = timelineFigures([sample(60, 1_000, 100), sample(120, 4_000, 104), sample(180, 7_000, 112)]);
    expect(figures.windows).toEqual([
      { atSeconds: 120, emailsPerSecond: 50 },
      { atSeconds: 180, emailsPerSecond: 50 },
    ]);
    expect(figures.rssGrowthPercent).toEqual({ 'smtp-sender': 12, 'cron-producer': null });
  });

  it('also gives the RSS growth from the end of the warm-up, the first tenth of the run', () => {
    // Filling up in the first minute, then flat but for 2%.
    const timeline = [sample(60, 0, 80), ...Array.from({ length: 10 }, (_, index) => sample(120 + index * 60, 0, 100))];
    timeline.push(sample(720, 0, 102));
    const figures = timelineFigures(timeline);
    expect(figures.rssGrowthPercent['smtp-sender']).toBe(27.5);
    expect(figures.warmedUpAtSeconds).toBe(120);
    expect(figures.rssGrowthAfterWarmUpPercent['smtp-sender']).toBe(2);
  });
});

describe('spreadSamples', () => {
  it('keeps short timelines whole and spreads long ones evenly, first and last included', () => {
    const ten = Array.from({ length: 10 }, (_, index) => index);
    expect(spreadSamples(ten, 12)).toEqual(ten);
    expect(spreadSamples(ten, 4)).toEqual([0, 3, 6, 9]);
    expect(
      spreadSamples(
        Array.from({ length: 301 }, (_, index) => index),
        11,
      ),
    ).toEqual([0, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300]);
    expect(spreadSamples(ten, 1)).toEqual([9]);
  });
});

describe('renderTimeline', () => {
  it('shows the rows kept, with rates over the rows shown', () => {
    const timeline = [0, 1, 2, 3, 4].map((minute) => sample(minute * 60, minute * 6_000, 100 + minute));
    const lines = renderTimeline(timeline, 3);
    expect(lines[0]).toBe(
      '| at s | emails/s since previous | smtp-sender RSS MB | cron-producer RSS MB | email_queues dead |',
    );
    expect(lines.slice(2)).toEqual([
      '| 0 |  | 100 |  | 0 |',
      '| 120 | 100 | 102 |  | 0 |',
      '| 240 | 100 | 104 |  | 0 |',
    ]);
  });
});
