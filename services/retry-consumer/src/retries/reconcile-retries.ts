import type { Database } from '@outflow/db';
import { workInBatches } from '@outflow/runtime';
import type { Counter, Logger } from '@outflow/telemetry';
import { applyRetryDecision, findStaleRetries } from './retry.repository.js';

/**
 * One reconciliation pass: takes the retry decision for every email left `retry_pending` longer than
 * `afterMs` (its email-retries event was lost), exactly as the event would have (same guarded function, so a
 * late event afterwards is ignored). Returns how many were rebuilt.
 */
export function reconcileRetries(
  deps: { db: Database; logger: Logger; decisions: Counter<'outcome' | 'source'> },
  settings: { afterMs: number; delayFor: (retryCount: number) => number },
  isStopping?: () => boolean,
): Promise<number> {
  return workInBatches({
    fetch: (limit) => findStaleRetries(deps.db, settings.afterMs, limit),
    handle: async (retry) => {
      const outcome = await applyRetryDecision(deps.db, retry, settings.delayFor);
      deps.decisions.inc({ outcome, source: 'reconciled' });
      deps.logger.warn({ emailId: retry.emailId, outcome }, 'retry rebuilt from the database (its event was lost)');
    },
    batchSize: 500,
    ...(isStopping ? { isStopping } : {}),
  });
}
