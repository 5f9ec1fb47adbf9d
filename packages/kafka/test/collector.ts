/** Collects what consumers received and resolves once a condition holds. */
export function collector<T>() {
  const items: T[] = [];
  const waiters: Array<{ check: () => boolean; resolve: () => void }> = [];
  return {
    items,
    push(item: T) {
      items.push(item);
      for (const waiter of [...waiters]) {
        if (waiter.check()) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
    until(check: () => boolean): Promise<void> {
      if (check()) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ check, resolve }));
    },
  };
}
