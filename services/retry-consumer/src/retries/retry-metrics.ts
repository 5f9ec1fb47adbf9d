import type { Counter, Metrics } from '@outflow/telemetry';

/**
 * Failed sends handled, by outcome (rescheduled, permanent_failure, or ignored for a duplicate or stale event) and
 * by source: `event` from email-retries, `reconciled` when the event was lost and the database rebuilt it.
 */
export function createRetryDecisions(metrics: Metrics): Counter<'outcome' | 'source'> {
  return metrics.counter<'outcome' | 'source'>({
    name: 'outflow_retry_decisions_total',
    help: 'Failed sends handled by the retry consumer, by outcome (rescheduled, permanent_failure, ignored) and source (event, reconciled).',
    labelNames: ['outcome', 'source'],
    labelValues: { outcome: ['rescheduled', 'permanent_failure', 'ignored'], source: ['event', 'reconciled'] },
  });
}
