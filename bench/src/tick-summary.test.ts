import { describe, expect, it } from '@jest/globals';
import { tickTotals, type TickRun } from './run-figures.js';
import { medianTick, renderTickSummary } from './tick-summary.js';

const statement = (label: string, calls: number, meanMs: number, planMs: number) => ({
  label,
  calls,
  meanMs,
  planMs,
  rowsPerCall: 1,
  buffersPerCall: 1,
});

describe('tickTotals', () => {
  it('counts every call of a statement, execution and planning, per tick', () => {
    const totals = tickTotals(
      [
        statement('lock mailboxes with due email', 200, 1, 0.5),
        statement('claim due emails (lateral per mailbox)', 100, 4, 0.25),
        statement('reserve capacity', 100, 2, 0),
      ],
      100,
    );
    // Per tick: the lock twice (2 + 1 planning), the claim once (4 + 0.25), the reserve once (2).
    expect(totals).toEqual({ tickMs: 9.25, tickPlanMs: 1.25 });
  });

  it('is zero, not a division by zero, when no tick reserved anything', () => {
    expect(tickTotals([statement('reserve capacity', 0, 0, 0)], 0)).toEqual({ tickMs: 0, tickPlanMs: 0 });
  });
});

describe('renderTickSummary', () => {
  const run = (size: 'S' | 'L', tableRows: number, refreshMs: number): TickRun => ({
    size,
    tableRows,
    mailboxes: 100,
    due: 10_000,
    generationMs: 3_000,
    ticks: 100,
    tickMs: 4,
    tickPlanMs: 0.05,
    statements: [statement('reserve capacity', 100, 2, 0)],
    queueStats: [statement('emails by live status', 12, refreshMs - 1, 0), statement('outbox backlog', 12, 1, 0)],
    queueStatsMs: refreshMs,
  });

  it("shows each size's queue gauge refresh beside its tick, and each of the refresh's statements", () => {
    const markdown = renderTickSummary({
      broker: 'kafka',
      machine: { cpus: 2 },
      settings: { PRODUCER_TICK_MS: '20' },
      sizes: [
        { size: 'S', median: run('S', 100_000, 3), runs: [run('S', 100_000, 3)] },
        { size: 'L', median: run('L', 10_000_000, 3.5), runs: [run('L', 10_000_000, 3.5)] },
      ],
    });
    expect(markdown).toContain('| S | 100000 | 3 |');
    expect(markdown).toContain('| L | 10000000 | 3.5 |');
    expect(markdown).toContain('| L | emails by live status | 12 | 2.5 | 0 | 1 | 1 |');
  });

  it('takes the median of each figure over the rounds', () => {
    const median = medianTick([run('L', 10, 3), run('L', 10, 9), run('L', 10, 4)]);
    expect(median.queueStatsMs).toBe(4);
    expect(median.queueStats[0]!.meanMs).toBe(3);
  });
});
