import { randomUUID } from 'node:crypto';
import { claimDueEmails, expireSendingLeases, reclaimStaleEmails, type Database } from '@outflow/db';
import { publishClaimed, type TypedProducer } from '@outflow/kafka';
import { failpoint } from '@outflow/runtime';
import type { Logger } from '@outflow/telemetry';

export interface ProducerSettings {
  daySeconds: number;
  batchSize: number;
  maxPerMailbox: number;
  maxQueued: number;
  republishAfterMs: number;
  /** How often the recovery passes (expired leases, lost messages) run; the claim runs every tick. */
  recoveryIntervalMs: number;
}

export interface TickResult {
  claimed: number;
  republished: number;
  expiredLeases: number;
}

/** The most rows one recovery pass settles; a full page means more are waiting, so the next tick goes on. */
const recoveryPageSize = 1_000;

type TickDeps = { db: Database; producer: TypedProducer; logger: Logger; producerId: string };

/**
 * The recovery passes: settle sends whose lease expired, republish claims whose message was lost. Both look for
 * what is rare (a crash, a lost broker), and their searches walk the index entries a busy queue leaves behind
 * until vacuum removes them: at 1e7 rows the republish search cost more than the claim itself while finding
 * nothing. So they run on their own cadence, not every tick; timeouts of seconds to minutes do not need more.
 */
async function recover(
  deps: TickDeps,
  settings: ProducerSettings,
): Promise<{ expiredLeases: number; republished: number; full: boolean }> {
  const expiredLeases = await expireSendingLeases(deps.db, recoveryPageSize);
  if (expiredLeases > 0) deps.logger.warn({ expiredLeases }, 'sends with expired leases marked uncertain');

  const reclaimStartedAt = new Date();
  const stale = await reclaimStaleEmails(deps.db, settings.republishAfterMs, recoveryPageSize);
  if (stale.length > 0) {
    deps.logger.warn({ emails: stale.length }, 'republishing claimed emails whose message was not consumed');
    await publishClaimed(deps, 'republish', stale, {
      batchSize: settings.batchSize,
      attempt: 2,
      startedAt: reclaimStartedAt,
    });
  }
  const full = expiredLeases === recoveryPageSize || stale.length === recoveryPageSize;
  return { expiredLeases, republished: stale.length, full };
}

/**
 * The producer's tick: the recovery passes when they are due (at the first tick, so a restart after a crash
 * recovers at once), then claim what is due (committed before anything is published, so a crash in between
 * leaves `queued` rows that the republish pass recovers, never rows claimed twice) and publish it in batches.
 */
export function createProducerTick(
  deps: TickDeps,
  settings: ProducerSettings,
  now: () => number = Date.now,
): () => Promise<TickResult> {
  let recoverAt = 0;
  // Where the next claim goes on in the round of mailboxes (see claimDueEmails).
  let lastMailboxId: string | null = null;
  return async () => {
    let recovered = { expiredLeases: 0, republished: 0 };
    if (now() >= recoverAt) {
      const startedAt = now();
      const { full, ...pass } = await recover(deps, settings);
      recovered = pass;
      recoverAt = full ? startedAt : startedAt + settings.recoveryIntervalMs;
    }

    // Spans start only once a claim took something: an idle tick, ten a second, leaves no trace.
    const claimStartedAt = new Date();
    const claim = await claimDueEmails(deps.db, {
      claimToken: randomUUID(),
      daySeconds: settings.daySeconds,
      maxPerMailbox: settings.maxPerMailbox,
      maxQueued: settings.maxQueued,
      after: lastMailboxId,
    });
    lastMailboxId = claim.lastMailboxId;
    const claimed = claim.emails;
    if (claimed.length > 0) {
      // Claimed and committed, nothing published: the republish pass must recover these.
      failpoint('producer.after-claim-commit');
      await publishClaimed(deps, 'claim', claimed, {
        batchSize: settings.batchSize,
        attempt: 1,
        startedAt: claimStartedAt,
      });
      failpoint('producer.after-publish');
      deps.logger.debug({ claimed: claimed.length }, 'claimed and published');
    }
    return { claimed: claimed.length, ...recovered };
  };
}
