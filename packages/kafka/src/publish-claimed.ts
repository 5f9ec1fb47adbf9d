import { emailJobMessageId } from '@outflow/contracts';
import { insertKafkaBatch, markKafkaBatch, type ClaimedEmail, type Database } from '@outflow/db';
import { contextOf, inSpan, linkTo, type Logger, type Span } from '@outflow/telemetry';
import type { TypedProducer } from './typed-producer.js';

interface PublishDeps {
  db: Database;
  producer: TypedProducer;
  logger: Logger;
  /** Recorded with each batch: which process published it. */
  producerId: string;
}

/** Emails in batches the broker acknowledged, and in batches that failed (left to the republish pass). */
export interface PublishResult {
  published: number;
  failed: number;
}

/**
 * Publishes claimed emails in a span that links to each email's trace (the request, follow-up or retry that
 * scheduled it), timed from `startedAt` so it covers the claim. Each email's message is sent as a child of its own
 * trace, linked back to this span: one trace per email, however many a claim takes.
 *
 * Each batch is recorded in kafka_batches before it is sent and marked published or failed after. A batch that
 * fails stays claimed (`queued`): the producer's republish pass sends it again after its timeout.
 */
export async function publishClaimed(
  deps: PublishDeps,
  name: 'claim' | 'republish',
  emails: ClaimedEmail[],
  options: { batchSize: number; attempt: number; startedAt: Date },
): Promise<PublishResult> {
  return inSpan(
    `${name} email-jobs`,
    {
      startTime: options.startedAt,
      links: emails.flatMap((email) => linkTo(email.trace_context)),
      attributes: { 'outflow.emails': emails.length },
    },
    (span) => publish(deps, emails, options.batchSize, options.attempt, span),
  );
}

async function publish(
  deps: PublishDeps,
  emails: ClaimedEmail[],
  batchSize: number,
  attempt: number,
  claimSpan: Span,
): Promise<PublishResult> {
  const result = { published: 0, failed: 0 };
  const claimLink = [{ context: claimSpan.spanContext() }];
  for (let start = 0; start < emails.length; start += batchSize) {
    const batch = emails.slice(start, start + batchSize);
    const batchId = await insertKafkaBatch(deps.db, {
      topic: 'email-jobs',
      claimToken: batch[0]!.claim_token,
      emailIds: batch.map((email) => email.id),
      producerId: deps.producerId,
    });
    try {
      await deps.producer.send(
        'email-jobs',
        batch.map((email) => ({
          messageId: emailJobMessageId({ emailId: email.id, claimToken: email.claim_token }),
          attempt,
          payload: {
            email_id: email.id,
            claim_token: email.claim_token,
            batch_id: batchId,
            mailbox_id: email.mailbox_id,
            sequence_id: email.sequence_id,
            sequence_contact_id: email.sequence_contact_id,
            contact_id: email.contact_id,
            step_order: email.step_order,
            scheduled_for: email.scheduled_for.getTime(),
            claimed_at: email.claimed_at.getTime(),
          },
          trace: { parent: contextOf(email.trace_context), links: claimLink },
        })),
      );
      await markKafkaBatch(deps.db, batchId, { published: true });
      result.published += batch.length;
    } catch (error) {
      // The emails stay `queued` with their claim; the republish pass sends them again after the timeout.
      await markKafkaBatch(deps.db, batchId, { published: false, error: String(error) }).catch(() => undefined);
      deps.logger.error(
        { err: error, batchId, emails: batch.length },
        'publishing a batch failed; it will be republished',
      );
      result.failed += batch.length;
    }
  }
  return result;
}
