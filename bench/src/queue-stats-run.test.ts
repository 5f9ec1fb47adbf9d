import { describe, expect, it } from '@jest/globals';
import { renderQueueStatsSummary, type QueueStatsRun } from './queue-stats-run.js';

const run = (size: 'S' | 'L', refreshMs: number): QueueStatsRun => ({
  size,
  tableRows: size === 'S' ? 100_000 : 10_000_000,
  due: size === 'S' ? 10_000 : 1_000_000,
  mailboxes: 100,
  generationMs: 6_400,
  refreshMs,
  statements: [
    { label: 'due backlog per mailbox', calls: 20, meanMs: refreshMs, planMs: 0, rowsPerCall: 100, buffersPerCall: 9 },
  ],
});

describe('renderQueueStatsSummary', () => {
  it("shows each size's refresh and its statements", () => {
    const markdown = renderQueueStatsSummary({
      broker: 'kafka',
      machine: { cpus: 2 },
      settings: { QUEUE_STATS_INTERVAL_MS: '1000' },
      runs: [run('S', 4.2), run('L', 310)],
    });
    expect(markdown).toContain('Producer settings: QUEUE_STATS_INTERVAL_MS=1000.');
    expect(markdown).toContain('| L | 10000000 | 1000000 | 100 | 6 | 20 | 310 |');
    expect(markdown).toContain('| S | due backlog per mailbox | 20 | 4.2 | 0 | 100 | 9 |');
  });
});
