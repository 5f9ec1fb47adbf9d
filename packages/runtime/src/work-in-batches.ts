/**
 * Fetches work `batchSize` items at a time and handles each in turn, until a batch comes back short, the
 * caller is stopping, or `maxBatches` were handled (the rest waits for the next call: one call never runs away,
 * even if handling an item somehow fails to take it out of what `fetch` returns). Returns how many items were
 * handled.
 */
export async function workInBatches<T>(options: {
  fetch: (limit: number) => Promise<T[]>;
  handle: (item: T) => Promise<void>;
  batchSize: number;
  maxBatches?: number;
  isStopping?: () => boolean;
}): Promise<number> {
  let handled = 0;
  for (let batch = 0; batch < (options.maxBatches ?? 20); batch++) {
    const items = await options.fetch(options.batchSize);
    for (const item of items) {
      if (options.isStopping?.()) return handled;
      await options.handle(item);
      handled += 1;
    }
    if (items.length < options.batchSize) break;
  }
  return handled;
}
