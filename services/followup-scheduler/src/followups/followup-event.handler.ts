import type { ConsumedMessage } from '@outflow/kafka';
import { carrierOf, type Counter, type Logger } from '@outflow/telemetry';
import type { FollowupOutcome, SentStep } from './followup.repository.js';

export interface FollowupEventDeps {
  /** Schedules a sent step's follow-up: scheduleNextSteps, with the events handled at once sharing one statement. */
  schedule: (step: SentStep) => Promise<FollowupOutcome>;
  logger: Logger;
  /** outflow_followups_total, by outcome. */
  outcomes: Counter<'outcome'>;
}

/**
 * Handles one followup-events message (step n of an enrollment was sent): schedules step n+1 or completes the
 * enrollment. A message that arrives twice finds the next step already queued and changes nothing.
 */
export async function handleFollowupEvent(
  deps: FollowupEventDeps,
  message: ConsumedMessage<'followup-events'>,
): Promise<void> {
  const { payload } = message;
  const outcome = await deps.schedule({
    emailId: payload.email_id,
    sequenceContactId: payload.sequence_contact_id,
    sequenceId: payload.sequence_id,
    stepOrder: payload.step_order,
    sentAt: new Date(payload.sent_at),
    // The consumed event's span: the next step's email joins the trace of the one just sent.
    traceContext: carrierOf(message.trace),
  });
  deps.outcomes.inc({ outcome });
  deps.logger.debug({ emailId: payload.email_id, outcome }, 'follow-up handled');
}
