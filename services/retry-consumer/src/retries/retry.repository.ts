import { sql } from 'kysely';
import { insertEmailEvent, windowOpening, type Database } from '@outflow/db';
import type { TraceCarrier } from '@outflow/telemetry';
import { decideRetry } from './decide-retry.js';

export type RetryOutcome = 'rescheduled' | 'permanent_failure' | 'ignored';

/**
 * Applies the retry rule (decideRetry) to a failed send: reschedules the email, or marks it a permanent failure
 * and its enrollment bounced (this sequence never emails the contact again). Acts only on an email still
 * `retry_pending` under the failed claim, so a redelivered event does nothing.
 */
export async function applyRetryDecision(
  db: Database,
  failure: {
    emailId: string;
    claimToken: string;
    kind: 'temporary' | 'permanent';
    /** The failure event's trace, which the retry continues; absent (reconciled), the email keeps its own. */
    traceContext?: TraceCarrier | null;
  },
  delayFor: (retryCount: number) => number,
): Promise<RetryOutcome> {
  return db.transaction().execute(async (trx) => {
    const email = await trx
      .selectFrom('email_queues')
      .select(['id', 'retry_count', 'max_retries', 'sequence_contact_id', 'sequence_id', 'contact_id', 'mailbox_id'])
      .where('id', '=', failure.emailId)
      .where('status', '=', 'retry_pending')
      .where('claim_token', '=', failure.claimToken)
      .forUpdate()
      .executeTakeFirst();
    if (!email) return 'ignored';
    const event = {
      emailId: email.id,
      sequenceId: email.sequence_id,
      contactId: email.contact_id,
      mailboxId: email.mailbox_id,
    };
    const decision = decideRetry(
      { kind: failure.kind, retryCount: email.retry_count, maxRetries: email.max_retries },
      delayFor,
    );
    if (decision.action === 'fail') {
      await trx.updateTable('email_queues').set({ status: 'permanent_failure' }).where('id', '=', email.id).execute();
      await trx
        .updateTable('sequence_contacts')
        .set({ status: 'bounced' })
        .where('id', '=', email.sequence_contact_id)
        .where('status', '=', 'active')
        .execute();
      await insertEmailEvent(trx, {
        ...event,
        type: 'permanent_failure',
        eventKey: `permanent_failure:${email.id}`,
        metadata: { kind: failure.kind, retries: email.retry_count },
      });
      return 'permanent_failure';
    }
    const { delayMs } = decision;
    await trx
      .updateTable('email_queues')
      .set({
        status: 'scheduled',
        retry_count: sql`retry_count + 1`,
        // Due after the delay, within the sequence's send window in the recipient's time zone.
        scheduled_for: sql`(select ${windowOpening(sql`now() + make_interval(secs => ${delayMs / 1000})`)}
          from sequences s, contacts c where s.id = email_queues.sequence_id and c.id = email_queues.contact_id)`,
        claim_token: null,
        claimed_at: null,
        capacity_day: null,
        failure_kind: null,
        ...(failure.traceContext ? { trace_context: failure.traceContext } : {}),
      })
      .where('id', '=', email.id)
      .execute();
    await insertEmailEvent(trx, {
      ...event,
      type: 'retry_scheduled',
      eventKey: `retry_scheduled:${email.id}:${email.retry_count + 1}`,
      metadata: { delay_ms: delayMs, retry: email.retry_count + 1 },
    });
    return 'rescheduled';
  });
}

export interface PendingRetry {
  emailId: string;
  claimToken: string;
  kind: 'temporary' | 'permanent';
}

/**
 * Emails left `retry_pending` for more than `olderThanMs`: their email-retries message was lost (or is very
 * late). Oldest first.
 */
export async function findStaleRetries(db: Database, olderThanMs: number, limit: number): Promise<PendingRetry[]> {
  const rows = await db
    .selectFrom('email_queues')
    .select(['id', 'claim_token', 'failure_kind'])
    .where('status', '=', 'retry_pending')
    .where('claim_token', 'is not', null)
    .where('updated_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    emailId: row.id,
    claimToken: row.claim_token!,
    // A row failed before failure_kind existed: retrying is the safe choice (a permanent error fails again).
    kind: row.failure_kind === 'permanent' ? 'permanent' : 'temporary',
  }));
}
