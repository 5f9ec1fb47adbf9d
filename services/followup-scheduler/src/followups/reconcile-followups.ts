import type { Database } from '@outflow/db';
import type { Logger } from '@outflow/telemetry';
import { findLostFollowups, markSentWindowChecked, nextSentWindow, scheduleNextSteps } from './followup.repository.js';

/** Sent emails checked per window by default: one statement reads them all and returns only the lost ones. */
const EMAILS_PER_WINDOW = 5_000;
/** Lost follow-ups scheduled per statement, when many were lost at once (a truncated topic). */
const SCHEDULE_BATCH = 500;

/**
 * One reconciliation pass: from where the last pass got to, up to `afterMs` ago, finds the sent emails whose
 * follow-up was never handled and schedules it as the event would have (the same idempotent statement, so racing
 * a late event is harmless), window by window. Progress is saved after each window, so a pass cut short by a stop
 * goes on where it ended; replicas that run passes at once check some windows twice, which is harmless.
 * Returns how many follow-ups were rebuilt.
 */
export async function reconcileFollowups(
  deps: { db: Database; logger: Logger },
  settings: { afterMs: number; daySeconds: number; emailsPerWindow?: number },
  isStopping: () => boolean = () => false,
): Promise<number> {
  let rebuilt = 0;
  while (!isStopping()) {
    const window = await nextSentWindow(deps.db, settings.afterMs, settings.emailsPerWindow ?? EMAILS_PER_WINDOW);
    if (!window) break;
    const lost = await findLostFollowups(deps.db, window);
    for (let start = 0; start < lost.length; start += SCHEDULE_BATCH) {
      const batch = lost.slice(start, start + SCHEDULE_BATCH);
      const outcomes = await scheduleNextSteps(deps.db, batch, settings.daySeconds);
      batch.forEach((sent, index) =>
        deps.logger.warn(
          { emailId: sent.emailId, outcome: outcomes[index] },
          'follow-up rebuilt from the database (its event was lost)',
        ),
      );
      rebuilt += batch.length;
    }
    // Another replica moved on meanwhile: go on from where it got to.
    if ((await markSentWindowChecked(deps.db, window)) && window.last) break;
  }
  return rebuilt;
}
