import type { Database } from '@outflow/db';
import type { ConsumedMessage } from '@outflow/kafka';
import { carrierOf, trace, type Counter, type Logger } from '@outflow/telemetry';
import { applyRetryDecision } from './retry.repository.js';

export interface EmailRetryDeps {
  db: Database;
  logger: Logger;
  /** The delay before retry number `retryCount + 1` (backoff with jitter). */
  delayFor: (retryCount: number) => number;
  decisions: Counter<'outcome' | 'source'>;
}

/**
 * Handles one failed send from email-retries: reschedules the email or fails it for good (decideRetry). A message
 * that arrives twice finds the email no longer `retry_pending` under its claim and changes nothing.
 */
export async function handleEmailRetry(deps: EmailRetryDeps, message: ConsumedMessage<'email-retries'>): Promise<void> {
  const { payload } = message;
  const outcome = await applyRetryDecision(
    deps.db,
    // The retry is scheduled in the failure's trace: the next attempt's claim and send continue it.
    {
      emailId: payload.email_id,
      claimToken: payload.claim_token,
      kind: payload.failure_kind,
      traceContext: carrierOf(message.trace),
    },
    deps.delayFor,
  );
  trace.getSpan(message.trace)?.setAttribute('outflow.retry.outcome', outcome);
  deps.decisions.inc({ outcome, source: 'event' });
  deps.logger.info({ emailId: payload.email_id, outcome, errorCode: payload.error_code }, 'send failure handled');
}
