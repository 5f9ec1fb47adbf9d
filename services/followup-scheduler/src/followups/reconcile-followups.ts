import type { Kysely } from 'kysely';
import type { DB } from '@outflow/db';
import { workInBatches } from '@outflow/runtime';
import type { Logger } from '@outflow/telemetry';
import { findUnhandledFollowups, scheduleNextStep } from './followup.repository.js';

/**
 * One reconciliation pass: schedules the follow-up of every email sent more than `afterMs` ago whose event
 * never arrived, as the event would have (the same idempotent function, so racing a late event is harmless).
 * Returns how many were rebuilt.
 */
export function reconcileFollowups(
  deps: { db: Kysely<DB>; logger: Logger },
  settings: { afterMs: number; daySeconds: number },
  isStopping?: () => boolean,
): Promise<number> {
  return workInBatches({
    fetch: (limit) => findUnhandledFollowups(deps.db, settings.afterMs, limit),
    handle: async (sent) => {
      const outcome = await scheduleNextStep(deps.db, sent, settings.daySeconds);
      deps.logger.warn({ emailId: sent.emailId, outcome }, 'follow-up rebuilt from the database (its event was lost)');
    },
    batchSize: 500,
    ...(isStopping ? { isStopping } : {}),
  });
}
