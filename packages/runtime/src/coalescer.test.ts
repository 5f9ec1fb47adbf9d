import { describe, expect, it } from '@jest/globals';
import { createCoalescer } from './coalescer.js';

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

describe('createCoalescer', () => {
  it('flushes the calls of one turn together, each caller getting its own result', async () => {
    const flushes: number[][] = [];
    const double = createCoalescer<number, number>({
      maxBatch: 100,
      flush: async (inputs) => {
        flushes.push(inputs);
        return inputs.map((input) => input * 2);
      },
    });
    await expect(Promise.all([double(1), double(2), double(3)])).resolves.toEqual([2, 4, 6]);
    expect(flushes).toEqual([[1, 2, 3]]);
  });

  it('gathers the calls made while a flush runs into the next one, and caps its size', async () => {
    const flushes: number[][] = [];
    const gate = deferred();
    const echo = createCoalescer<number, number>({
      maxBatch: 2,
      flush: async (inputs) => {
        flushes.push(inputs);
        if (flushes.length === 1) await gate.promise;
        return inputs;
      },
    });
    const first = echo(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(echo.pending()).toEqual({ queued: 0, flushing: 1 });
    const later = [echo(2), echo(3), echo(4)];
    expect(echo.pending()).toEqual({ queued: 3, flushing: 1 });
    gate.release();
    await expect(Promise.all([first, ...later])).resolves.toEqual([1, 2, 3, 4]);
    expect(flushes).toEqual([[1], [2, 3], [4]]);
  });

  it('fails every call of a flush that fails for all, and keeps serving later calls', async () => {
    let fail = true;
    const echo = createCoalescer<string, string>({
      maxBatch: 10,
      flush: async (inputs) => {
        if (fail) throw new Error('database is down');
        return inputs;
      },
    });
    const results = await Promise.allSettled([echo('a'), echo('b')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(echo('c')).resolves.toBe('c');
  });

  it('isolates an input that fails its batch: the others are flushed again alone and succeed', async () => {
    const flushes: string[][] = [];
    const echo = createCoalescer<string, string>({
      maxBatch: 10,
      flush: async (inputs) => {
        flushes.push(inputs);
        if (inputs.includes('poison')) throw new Error('violates a check constraint');
        return inputs;
      },
    });
    const results = await Promise.allSettled([echo('a'), echo('poison'), echo('b')]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(flushes).toEqual([['a', 'poison', 'b'], ['a'], ['poison'], ['b']]);
  });

  it('rejects a flush that returns the wrong number of results', async () => {
    const broken = createCoalescer<number, number>({ maxBatch: 10, flush: async () => [] });
    await expect(broken(1)).rejects.toThrow('returned 0 results for 1 inputs');
  });
});
