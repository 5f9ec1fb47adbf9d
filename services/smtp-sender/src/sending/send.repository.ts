import { sql, type Kysely } from 'kysely';
import { insertEmailEvent, settleReservation, type DB } from '@outflow/db';
import { enqueueOutbox, type OutboxMessage } from '@outflow/kafka';

/**
 * Moves a claimed email to `sending` with a lease, only if it is still `queued` under this claim token. A
 * redelivered or stale message matches nothing and must send nothing.
 */
export async function startSending(
  db: Kysely<DB>,
  emailId: string,
  claimToken: string,
  leaseMs: number,
): Promise<{ attempts: number } | undefined> {
  return db
    .updateTable('email_queues')
    .set({
      status: 'sending',
      lease_expires_at: sql`now() + make_interval(secs => ${leaseMs / 1000})`,
      attempts: sql`attempts + 1`,
      last_attempt_at: sql`now()`,
    })
    .where('id', '=', emailId)
    .where('status', '=', 'queued')
    .where('claim_token', '=', claimToken)
    .returning('attempts')
    .executeTakeFirst();
}

/** Everything needed to render and send one email. */
export async function findSendContext(db: Kysely<DB>, emailId: string) {
  return db
    .selectFrom('email_queues as e')
    .innerJoin('mailboxes as m', 'm.id', 'e.mailbox_id')
    .innerJoin('contacts as c', 'c.id', 'e.contact_id')
    .innerJoin('steps as st', 'st.id', 'e.step_id')
    .select([
      'e.id',
      'e.step_order',
      'e.sequence_id',
      'e.sequence_contact_id',
      'e.contact_id',
      'e.mailbox_id',
      'm.email as mailbox_email',
      'm.display_name as mailbox_display_name',
      'm.smtp_host',
      'm.smtp_port',
      'm.smtp_secure',
      'm.smtp_username',
      'm.encrypted_smtp_password',
      'm.smtp_password_key_id',
      'm.updated_at as mailbox_updated_at',
      'c.email as contact_email',
      'c.first_name',
      'c.last_name',
      'c.company',
      'c.fields',
      'st.subject',
      'st.content',
      'st.content_format',
    ])
    .where('e.id', '=', emailId)
    .executeTakeFirst();
}

/**
 * The send succeeded: in one transaction, mark the email sent, settle its capacity reservation as a send, move
 * the enrollment's current step, record the event and put the follow-up event in the outbox (so it cannot be
 * lost to a crash after the commit). Guarded by status and token, so running it twice is a no-op. Returns the
 * sent time and the outbox row ids, or undefined when the email was not ours to finish.
 */
export async function recordSent(
  db: Kysely<DB>,
  sent: { emailId: string; claimToken: string; smtpMessageId: string; smtpResponse: string },
  followup: (sentAt: Date) => OutboxMessage<'followup-events'>,
): Promise<{ sentAt: Date; outboxIds: string[] } | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('email_queues')
      .set({ status: 'sent', sent_at: sql`now()`, lease_expires_at: null, smtp_message_id: sent.smtpMessageId })
      .where('id', '=', sent.emailId)
      .where('status', '=', 'sending')
      .where('claim_token', '=', sent.claimToken)
      .returning([
        'sent_at',
        'mailbox_id',
        'capacity_day',
        'sequence_contact_id',
        'step_order',
        'sequence_id',
        'contact_id',
      ])
      .executeTakeFirst();
    if (!row?.sent_at) return undefined;
    await settleReservation(trx, { mailboxId: row.mailbox_id, day: row.capacity_day!, sent: true });
    await trx
      .updateTable('sequence_contacts')
      .set({ current_step: sql`greatest(current_step, ${row.step_order})` })
      .where('id', '=', row.sequence_contact_id)
      .execute();
    await insertEmailEvent(trx, {
      emailId: sent.emailId,
      sequenceId: row.sequence_id,
      contactId: row.contact_id,
      mailboxId: row.mailbox_id,
      type: 'sent',
      eventKey: `sent:${sent.emailId}`,
      metadata: { smtp_response: sent.smtpResponse, message_id: sent.smtpMessageId },
    });
    const outboxIds = await enqueueOutbox(trx, [followup(row.sent_at)]);
    return { sentAt: row.sent_at, outboxIds };
  });
}

interface SendError {
  emailId: string;
  claimToken: string;
  errorCode: string;
  errorMessage: string;
}

/**
 * Ends a claim whose send did not succeed, guarded by status and token like recordSent: records the error,
 * settles the capacity reservation (`countsAsSent`: the message may have gone out) and records the event.
 * Returns the send's attempt number, or undefined when the email was not ours to finish.
 */
async function endFailedSend(
  trx: Kysely<DB>,
  error: SendError,
  outcome: {
    status: 'retry_pending' | 'uncertain';
    /** For a retry_pending email: what the retry decision needs if the email-retries event is lost. */
    failureKind?: 'temporary' | 'permanent';
    countsAsSent: boolean;
    event: 'failed' | 'uncertain';
    metadata: Record<string, string>;
  },
): Promise<number | undefined> {
  const row = await trx
    .updateTable('email_queues')
    .set({
      status: outcome.status,
      lease_expires_at: null,
      error_code: error.errorCode,
      error_message: error.errorMessage,
      failure_kind: outcome.failureKind ?? null,
    })
    .where('id', '=', error.emailId)
    .where('status', '=', 'sending')
    .where('claim_token', '=', error.claimToken)
    .returning(['mailbox_id', 'capacity_day', 'attempts', 'sequence_id', 'contact_id'])
    .executeTakeFirst();
  if (!row) return undefined;
  await settleReservation(trx, { mailboxId: row.mailbox_id, day: row.capacity_day!, sent: outcome.countsAsSent });
  await insertEmailEvent(trx, {
    emailId: error.emailId,
    sequenceId: row.sequence_id,
    contactId: row.contact_id,
    mailboxId: row.mailbox_id,
    type: outcome.event,
    eventKey: `${outcome.event}:${error.emailId}:${row.attempts}`,
    metadata: { error_code: error.errorCode, error_message: error.errorMessage, ...outcome.metadata },
  });
  return row.attempts;
}

/**
 * The send failed: release the capacity reservation (nothing was sent), leave the email `retry_pending` and put
 * the retry event in the outbox, in one transaction. Returns the outbox row ids, or undefined when the email
 * was not ours to finish.
 */
export async function recordFailure(
  db: Kysely<DB>,
  failed: SendError & { kind: 'temporary' | 'permanent' },
  retry: (attempts: number) => OutboxMessage<'email-retries'>,
): Promise<string[] | undefined> {
  return db.transaction().execute(async (trx) => {
    const attempts = await endFailedSend(trx, failed, {
      status: 'retry_pending',
      failureKind: failed.kind,
      countsAsSent: false,
      event: 'failed',
      metadata: { kind: failed.kind },
    });
    return attempts === undefined ? undefined : enqueueOutbox(trx, [retry(attempts)]);
  });
}

/**
 * No reply after the body was sent: the message may have been delivered. Mark the email `uncertain` (never
 * resent automatically; an operator resolves it) and count it as sent against the mailbox's capacity.
 */
export async function recordUncertain(db: Kysely<DB>, uncertain: SendError): Promise<boolean> {
  return db.transaction().execute(
    async (trx) =>
      (await endFailedSend(trx, uncertain, {
        status: 'uncertain',
        countsAsSent: true,
        event: 'uncertain',
        metadata: {},
      })) !== undefined,
  );
}
