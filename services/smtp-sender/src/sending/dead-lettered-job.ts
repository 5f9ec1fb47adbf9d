import { parseEmailJobMessageId } from '@outflow/contracts';
import type { Database } from '@outflow/db';
import type { DeadLetterInfo } from '@outflow/kafka';
import type { Logger } from '@outflow/telemetry';
import { markDeadLettered } from './send.repository.js';

/**
 * The claim a dead-lettered email job was for: from its payload when it decoded, else from its message id (a
 * payload that does not decode is the usual reason for a dead letter, and the headers still name the claim).
 */
export function claimOfDeadLetter(
  info: Pick<DeadLetterInfo<'email-jobs'>, 'headers' | 'payload'>,
): { emailId: string; claimToken: string } | undefined {
  if (info.payload) return { emailId: info.payload.email_id, claimToken: info.payload.claim_token };
  return info.headers ? parseEmailJobMessageId(info.headers.messageId) : undefined;
}

/**
 * After an email job went to the dead letter topic: marks its email (delivery status `dead_letter`) while it
 * still waits under that claim. Nothing is lost either way: the producer publishes a claim that stays queued again.
 */
export async function recordDeadLetteredJob(
  deps: { db: Database; logger: Logger },
  info: DeadLetterInfo<'email-jobs'>,
): Promise<void> {
  const claim = claimOfDeadLetter(info);
  if (!claim) {
    deps.logger.warn(
      { partition: info.partition, offset: info.offset, code: info.error.code },
      'a dead-lettered email job names no email; a claim it was for is published again when it times out',
    );
    return;
  }
  const marked = await markDeadLettered(deps.db, {
    ...claim,
    errorCode: info.error.code,
    errorMessage: info.error.message,
  });
  deps.logger.warn(
    { emailId: claim.emailId, claimToken: claim.claimToken, code: info.error.code, marked },
    marked
      ? 'email job dead-lettered; the email shows dead_letter until its claim is published again and sent'
      : 'email job dead-lettered, but its email no longer waits under that claim',
  );
}
