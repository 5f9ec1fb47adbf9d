/**
 * Group commit for one kind of round trip. Calls made in the same turn of the event loop, or while a flush is
 * running, are flushed together: a busy process turns N concurrent statements into one, and a lone call waits for
 * no timer (it flushes on the next turn). `flush` gets the inputs in call order and must return one result per
 * input, in the same order. If a flush of several inputs fails, each is flushed again on its own, so one input
 * that cannot be written (a constraint it breaks) fails alone instead of failing everything batched with it; the
 * calls that still fail get their own error, and each caller decides whether to retry, exactly as it would for its
 * own statement.
 */
export interface Coalescer<I, O> {
  (input: I): Promise<O>;
  /** Calls waiting for a flush, and flushes running (for tests and metrics). */
  readonly pending: () => { queued: number; flushing: number };
}

interface Waiting<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

export function createCoalescer<I, O>(options: {
  flush: (inputs: I[]) => Promise<O[]>;
  /** Most inputs in one flush. */
  maxBatch: number;
  /** Flushes that may run at once. Default 1 (batches then grow with load instead of round trips). */
  maxConcurrentFlushes?: number;
}): Coalescer<I, O> {
  if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new Error('maxBatch must be at least 1');
  const maxFlushes = options.maxConcurrentFlushes ?? 1;
  const queue: Waiting<I, O>[] = [];
  let flushing = 0;
  let scheduled = false;

  const drain = (): void => {
    scheduled = false;
    while (queue.length > 0 && flushing < maxFlushes) {
      const batch = queue.splice(0, options.maxBatch);
      flushing += 1;
      void runFlush(batch).finally(() => {
        flushing -= 1;
        drain();
      });
    }
  };

  const flushChecked = async (inputs: I[]): Promise<O[]> => {
    const outputs = await options.flush(inputs);
    if (outputs.length !== inputs.length) {
      throw new Error(`coalesced flush returned ${outputs.length} results for ${inputs.length} inputs`);
    }
    return outputs;
  };

  const runFlush = async (batch: Waiting<I, O>[]): Promise<void> => {
    try {
      const outputs = await flushChecked(batch.map((waiting) => waiting.input));
      batch.forEach((waiting, index) => waiting.resolve(outputs[index]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const waiting of batch) {
        await flushChecked([waiting.input]).then(
          (outputs) => waiting.resolve(outputs[0]!),
          (alone: unknown) => waiting.reject(alone),
        );
      }
    }
  };

  const call = (input: I): Promise<O> =>
    new Promise<O>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      // While a flush runs, its end drains the queue; otherwise gather this turn's calls, then flush.
      if (!scheduled && flushing < maxFlushes) {
        scheduled = true;
        setImmediate(drain);
      }
    });
  return Object.assign(call, { pending: () => ({ queued: queue.length, flushing }) });
}
