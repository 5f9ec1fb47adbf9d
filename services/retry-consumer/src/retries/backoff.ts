/**
 * Delay before retry number `retryCount + 1`: base × 2^retryCount, capped, spread by ±jitter. `random` is a
 * parameter so tests can pin it.
 */
export function retryDelayMs(
  retryCount: number,
  settings: { baseMs: number; maxMs: number; jitter: number },
  random: () => number = Math.random,
): number {
  const exact = Math.min(settings.baseMs * 2 ** retryCount, settings.maxMs);
  const spread = exact * settings.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(exact + spread));
}
