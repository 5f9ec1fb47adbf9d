/** What becomes of an email whose send failed. */
export type RetryDecision = { action: 'reschedule'; delayMs: number } | { action: 'fail' };

/**
 * The retry rule: a temporary failure with retries left is sent again after `delayFor(retryCount)`; a permanent
 * failure, or a temporary one with no retries left, fails the email for good (and bounces its enrollment).
 */
export function decideRetry(
  failure: { kind: 'temporary' | 'permanent'; retryCount: number; maxRetries: number },
  delayFor: (retryCount: number) => number,
): RetryDecision {
  if (failure.kind === 'permanent' || failure.retryCount >= failure.maxRetries) return { action: 'fail' };
  return { action: 'reschedule', delayMs: delayFor(failure.retryCount) };
}
