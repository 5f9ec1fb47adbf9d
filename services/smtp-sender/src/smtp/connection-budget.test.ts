import { describe, expect, it } from '@jest/globals';
import { ConnectionBudget, type IdleConnection } from './connection-budget.js';

/** An idle connection whose close gives its slot back, as a pool's does. */
function idleConnection(budget: ConnectionBudget, poolOpen: number, closed: string[], name: string): IdleConnection {
  const connection: IdleConnection = {
    poolOpen: () => poolOpen,
    close: () => {
      closed.push(name);
      budget.busy(connection);
      budget.release();
    },
  };
  return connection;
}

describe('ConnectionBudget', () => {
  it('gives further connections only free slots', () => {
    const budget = new ConnectionBudget(2);
    expect([budget.tryTake(), budget.tryTake(), budget.tryTake()]).toEqual([true, true, false]);
    budget.release();
    expect(budget.tryTake()).toBe(true);
    expect(budget.usage()).toEqual({ open: 2, waiting: 0 });
  });

  it("closes an idle connection for a pool's first, preferring a pool that keeps another, then the least recently idle", async () => {
    const budget = new ConnectionBudget(3);
    const closed: string[] = [];
    budget.tryTake();
    budget.tryTake();
    budget.tryTake();
    budget.idled(idleConnection(budget, 1, closed, 'lone, idle first'));
    budget.idled(idleConnection(budget, 2, closed, 'one of two'));
    await budget.take();
    expect(closed).toEqual(['one of two']);
    await budget.take();
    expect(closed).toEqual(['one of two', 'lone, idle first']);
    expect(budget.usage()).toEqual({ open: 3, waiting: 0 });
  });

  it('makes a first connection wait for the next slot freed when nothing is idle, and hands it over', async () => {
    const budget = new ConnectionBudget(1);
    const closed: string[] = [];
    budget.tryTake();
    let granted = false;
    const waiting = budget.take().then(() => (granted = true));
    await Promise.resolve();
    expect(granted).toBe(false);
    expect(budget.wanted()).toBe(true);
    // The busy connection goes idle: with a pool waiting it is closed at once, and its slot passes on.
    budget.idled(idleConnection(budget, 1, closed, 'just finished'));
    await waiting;
    expect(closed).toEqual(['just finished']);
    expect(budget.usage()).toEqual({ open: 1, waiting: 0 });
    expect(budget.wanted()).toBe(false);
  });

  it('closes one connection per waiting pool: a slot on its way back (QUIT sent) counts for the pool it goes to', async () => {
    const budget = new ConnectionBudget(2);
    const closed: string[] = [];
    const gone: Array<() => void> = [];
    // Closing takes a while, as a QUIT does: the slot comes back when the server has answered.
    const slowToClose = (name: string): IdleConnection => {
      const connection: IdleConnection = {
        poolOpen: () => 2,
        close: () => {
          closed.push(name);
          budget.busy(connection);
          gone.push(budget.closing());
        },
      };
      return connection;
    };
    budget.tryTake();
    budget.tryTake();
    budget.idled(slowToClose('first idle'));
    let granted = false;
    const waiting = budget.take().then(() => (granted = true));
    expect(closed).toEqual(['first idle']);
    // Another connection goes idle while the first is still closing: the waiting pool already has a slot coming.
    budget.idled(slowToClose('second idle'));
    expect(budget.wanted()).toBe(false);
    expect(closed).toEqual(['first idle']);
    await Promise.resolve();
    expect(granted).toBe(false);
    expect(budget.usage()).toEqual({ open: 2, waiting: 1 });
    gone[0]!();
    gone[0]!();
    await waiting;
    expect(budget.usage()).toEqual({ open: 2, waiting: 0 });
  });

  it('refuses a budget below one', () => {
    expect(() => new ConnectionBudget(0)).toThrow(/at least 1/);
    expect(() => new ConnectionBudget(1.5)).toThrow(/at least 1/);
  });
});
