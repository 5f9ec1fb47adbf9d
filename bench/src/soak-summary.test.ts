import { describe, expect, it } from '@jest/globals';

import { renderSoakSummary } from './soak-summary.js';
import type { DrainRun } from './run-figures.js';

const sample = (atSeconds: number, senderRss: number) => ({
  atSeconds,
  arrived: atSeconds * 100,
  rssMb: { 'smtp-sender': senderRss },
  deadTuples: { email_queues: 0 },
});

describe('renderSoakSummary', () => {
  it('gives the RSS growth over the whole run and after its warm-up', () => {
    const timeline = [sample(60, 80), ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map((minute) => sample(minute * 60, 100))];
    timeline.push(sample(660, 105));
    const run = {
      correctness: { duplicatesAtSink: 0, lost: 0, sentInDatabase: 66_000, overCapacity: 0 },
      timeline,
    } as unknown as DrainRun;
    const summary = renderSoakSummary({
      size: 'S',
      broker: 'test',
      machine: { cpus: 2 },
      settings: {},
      minutes: 11,
      loadPercent: 50,
      ratePerSecond: 100,
      drainRate: { emailsPerSecond: 200, measured: false },
      run,
    });
    expect(summary).toContain(
      'RSS growth from the first sample to the last: smtp-sender 31.3%; from the end of the warm-up (the sample at 120 s, a tenth of the run in) to the last: smtp-sender 5%.',
    );
  });
});
