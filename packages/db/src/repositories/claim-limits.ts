/**
 * How many emails each mailbox may claim this tick: its remaining capacity, at most `maxPerMailbox`, and its
 * share of what `maxQueued` leaves after the emails already in flight, so the claims of one tick never add up to
 * more than the queue may hold. The budget is split evenly; the remainder goes one each to the mailboxes from
 * index `start` on (wrapping). Near the cap the remainder is all there is, so `start` rotates between ticks: a
 * fixed one would serve the same mailboxes every tick and starve the others. `limit` bounds the whole claim (a
 * drain of at most N emails).
 */
export function claimLimits(
  allowances: readonly { remaining: number }[],
  options: { maxPerMailbox: number; maxQueued: number; inFlight: number; start: number; limit?: number | undefined },
): number[] {
  const count = allowances.length;
  const budget = Math.min(Math.max(options.maxQueued - options.inFlight, 0), options.limit ?? Infinity);
  const share = Math.floor(budget / count);
  const extra = budget % count;
  return allowances.map((allowance, index) => {
    const getsExtra = (index - options.start + count) % count < extra;
    return Math.min(allowance.remaining, options.maxPerMailbox, share + (getsExtra ? 1 : 0));
  });
}
