import { describe, expect, it } from '@jest/globals';
import { tickTotals } from './run-figures.js';

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
