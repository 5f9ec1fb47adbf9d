import type { Metrics } from '@outflow/telemetry';
import type { TickResult } from './producer.tick.js';

/**
 * The tick, timed and counted: its duration (the recovery passes included when they ran), the emails it claimed
 * and published, the claims it published again (lost messages) and the leases it expired (emails now uncertain).
 */
export function measureTick(metrics: Metrics, tick: () => Promise<TickResult>): () => Promise<TickResult> {
  const seconds = metrics.histogram({
    name: 'outflow_producer_tick_duration_seconds',
    help: "The producer's tick: recovery when due, the claim of due emails and their publication.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  const claimed = metrics.counter({
    name: 'outflow_emails_claimed_total',
    help: 'Due emails the producer claimed and published to email-jobs.',
  });
  const republished = metrics.counter({
    name: 'outflow_claims_republished_total',
    help: 'Claims published again because their email-jobs message was lost.',
  });
  const expired = metrics.counter({
    name: 'outflow_send_leases_expired_total',
    help: 'Sends whose lease ran out without an outcome: the emails became uncertain.',
  });
  return async () => {
    const end = seconds.startTimer();
    try {
      const result = await tick();
      claimed.inc(result.claimed);
      republished.inc(result.republished);
      expired.inc(result.expiredLeases);
      return result;
    } finally {
      end();
    }
  };
}
