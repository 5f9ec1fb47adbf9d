import type { Logger } from '@outflow/telemetry';

/**
 * Writes the outcome of a send that already happened, retrying a failed write (the database restarting, the pool
 * out of connections) until shortly before the lease runs out. Past that point the lease-expiry sweep may
 * already have made the email `uncertain`, so the error is rethrown and the email stays for an operator; every
 * write is guarded by status and claim token, so a retry that races the sweep changes nothing twice.
 */
export async function recordWithinLease<T>(
  write: () => Promise<T>,
  options: { leaseDeadline: number; logger: Logger; now?: () => number; initialDelayMs?: number },
): Promise<T> {
  const now = options.now ?? Date.now;
  let delay = options.initialDelayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (now() + delay >= options.leaseDeadline) throw error;
      options.logger.warn({ err: error, attempt, retryInMs: delay }, 'recording the send outcome failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 2_000);
    }
  }
}
