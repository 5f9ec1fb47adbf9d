import { randomUUID } from 'node:crypto';
import type { Database } from '@outflow/db';
import type { ConsumedMessage } from '@outflow/kafka';
import { failpoint } from '@outflow/runtime';
import { carrierOf, failSpan, SpanKind, trace, tracer, type Logger } from '@outflow/telemetry';
import { renderEmail, stepSubject, TemplateError, type ContentFormat } from '@outflow/templates';
import { classifySmtpError } from '../smtp/smtp-failure.js';
import type { ConnectionSlot } from '../smtp/mailbox-connection-pool.js';
import type { TransportPool } from '../smtp/transport-pool.js';
import { composeMessage, UnsendableMessageError } from '../smtp/compose-message.js';
import { recordWithinLease } from './record-within-lease.js';
import { unsubscribeHeaders, type UnsubscribeLinks } from './unsubscribe-headers.js';
import { smtpFailureClass } from './send-metrics.js';
import type { SendMetrics } from './send-metrics.js';
import type { SendStatements } from './send-statements.js';
import {
  cancelSuppressedEmail,
  deferToSendWindow,
  recordFailure,
  recordUncertain,
  type SendContext,
} from './send.repository.js';

export interface EmailJobDeps {
  db: Database;
  statements: SendStatements;
  transports: TransportPool;
  logger: Logger;
  leaseMs: number;
  metrics: SendMetrics;
  unsubscribe: UnsubscribeLinks;
}

/**
 * Sends one email job. Any message may arrive twice: the compare-and-set to `sending` lets exactly one copy of a
 * claim through. SMTP cannot join a transaction, so the email's own row is moved before (sending, with a lease)
 * and after (sent or retry_pending) the hand-over; if this process dies in between, the lease expires and the
 * producer marks the email uncertain rather than sending it again. A connection is reserved before the email
 * moves to `sending`, so only emails actually on the wire can be left uncertain by a crash.
 */
export async function handleEmailJob(deps: EmailJobDeps, message: ConsumedMessage<'email-jobs'>): Promise<void> {
  const job = message.payload;
  const log = deps.logger.child({ emailId: job.email_id, claimToken: job.claim_token });
  // Searchable on the message's span: a trace backend finds an email's trace by its id.
  trace
    .getSpan(message.trace)
    ?.setAttributes({ 'outflow.email_id': job.email_id, 'outflow.mailbox_id': job.mailbox_id });
  const context = await deps.statements.context(job.email_id);
  if (!context || context.status !== 'queued' || context.claim_token !== job.claim_token) {
    log.debug('email is not queued under this claim (duplicate or stale message); nothing to send');
    return;
  }
  if (context.suppressed) {
    // Suppressed after it was queued (an unsubscribe, a bounce): cancelled, never sent.
    const cancelled = await cancelSuppressedEmail(deps.db, {
      emailId: job.email_id,
      claimToken: job.claim_token,
      reason: context.suppressed,
    });
    if (cancelled) {
      deps.metrics.suppressed.inc();
      log.info({ reason: context.suppressed }, 'address suppressed since the email was queued; cancelled, not sent');
    }
    return;
  }
  if (context.window_opens_at) {
    // Claimed after its window closed on the recipient's clock (capacity, pacing or a backlog held it): it waits
    // for the next opening rather than arrive at night.
    const opensAt = context.window_opens_at;
    if (await deferToSendWindow(deps.db, { emailId: job.email_id, claimToken: job.claim_token, opensAt })) {
      deps.metrics.deferred.inc();
      log.info({ opensAt }, 'outside its send window; scheduled again for the next opening');
    }
    return;
  }
  // A server that cannot be reached, or a password that does not decrypt, is a failed attempt of this email
  // (recorded below, retried with backoff by the retry consumer), not a reason to hold up the partition.
  let slot: ConnectionSlot | undefined;
  let connectError: unknown;
  try {
    const pool = deps.transports.get({
      id: context.mailbox_id,
      smtp_host: context.smtp_host,
      smtp_port: context.smtp_port,
      smtp_secure: context.smtp_secure,
      smtp_allow_insecure_auth: context.smtp_allow_insecure_auth,
      smtp_username: context.smtp_username,
      encrypted_smtp_password: context.encrypted_smtp_password,
      smtp_password_key_id: context.smtp_password_key_id,
      updated_at: context.mailbox_updated_at,
    });
    slot = await pool.reserve();
  } catch (error) {
    connectError = error;
  }
  try {
    await sendReserved(deps, message, context, slot, connectError, log);
  } finally {
    slot?.release();
  }
}

async function sendReserved(
  deps: EmailJobDeps,
  message: ConsumedMessage<'email-jobs'>,
  context: SendContext,
  slot: ConnectionSlot | undefined,
  connectError: unknown,
  log: Logger,
): Promise<void> {
  const job = message.payload;
  // Taken before the lease is, so it is never later than the database's own expiry (minus a safety margin).
  const leaseDeadline = Date.now() + deps.leaseMs * 0.9;
  const record = <T>(write: () => Promise<T>) => recordWithinLease(write, { leaseDeadline, logger: log });
  const started = await deps.statements.start({
    emailId: job.email_id,
    claimToken: job.claim_token,
    messageIdDomain: context.mailbox_email.split('@')[1] ?? 'outflow.local',
  });
  if (!started) {
    log.debug('email is not queued under this claim (duplicate or stale message); nothing to send');
    return;
  }

  // Everything that can fail before a byte reaches SMTP fails here, and ends the claim as a plain failure: a
  // template that no longer renders, or a message that would inject headers, is permanent (retrying cannot fix
  // it), anything else temporary.
  let built: Awaited<ReturnType<typeof buildMessage>>;
  try {
    built = await buildMessage(context, job.email_id, started.smtpMessageId, deps.unsubscribe);
  } catch (error) {
    const permanent = error instanceof TemplateError || error instanceof UnsendableMessageError;
    const failure = {
      kind: permanent ? ('permanent' as const) : ('temporary' as const),
      smtpCode: null,
      errorCode: 'RENDER_FAILED',
      message: error instanceof Error ? error.message : String(error),
    };
    log.warn({ errorCode: failure.errorCode, kind: failure.kind, err: error }, 'could not build the message');
    deps.metrics.failed.inc({ class: 'render' });
    await endWithFailure(deps, message, record, failure);
    return;
  }
  const { mail, smtpMessageId } = built;
  let response: string;
  const endSmtpTimer = slot ? deps.metrics.smtpSeconds.startTimer() : undefined;
  const smtpSpan = tracer.startSpan(
    'smtp send',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'outflow.email_id': job.email_id,
        'outflow.mailbox_id': job.mailbox_id,
        'outflow.attempt': started.attempts,
        'outflow.step': job.step_order,
      },
    },
    message.trace,
  );
  const smtpStarted = performance.now();
  let smtpMs: number;
  try {
    if (!slot) throw connectError;
    const info = await slot.send(mail.envelope, mail.raw);
    endSmtpTimer?.();
    smtpMs = Math.round(performance.now() - smtpStarted);
    response = String(info.response ?? '');
    const code = /^\d{3}/.exec(response)?.[0];
    if (code) smtpSpan.setAttribute('smtp.reply_code', Number(code));
    smtpSpan.end();
    // The worst moment to die: the server said 250, nothing is recorded yet. The lease makes it uncertain.
    failpoint('sender.after-smtp-before-commit');
  } catch (error) {
    endSmtpTimer?.();
    const failure = classifySmtpError(error);
    if (failure.smtpCode !== null) smtpSpan.setAttribute('smtp.reply_code', failure.smtpCode);
    smtpSpan.setAttribute('outflow.failure', failure.kind);
    failSpan(smtpSpan, error);
    smtpSpan.end();
    log.warn({ smtpCode: failure.smtpCode, errorCode: failure.errorCode, kind: failure.kind }, 'send failed');
    deps.metrics.failed.inc({ class: failure.kind === 'uncertain' ? 'uncertain' : smtpFailureClass(failure.smtpCode) });
    if (failure.kind === 'uncertain') {
      await record(() =>
        recordUncertain(deps.db, {
          emailId: job.email_id,
          claimToken: job.claim_token,
          errorCode: failure.errorCode,
          errorMessage: `no reply after the message body was sent: ${failure.message}`,
        }),
      );
      return;
    }
    await endWithFailure(deps, message, record, { ...failure, kind: failure.kind });
    return;
  }

  const followupTrace = carrierOf(message.trace);
  const recorded = await record(() =>
    deps.statements.recordSent({
      emailId: job.email_id,
      claimToken: job.claim_token,
      smtpMessageId,
      smtpResponse: response,
      smtpMs,
      followup: (sentAt) => ({
        // Written by a statement several sends share: each follow-up names its own send's trace.
        trace: followupTrace,
        topic: 'followup-events',
        messageId: `followup:${job.email_id}`,
        key: job.sequence_contact_id,
        payload: {
          event_id: randomUUID(),
          email_id: job.email_id,
          sequence_id: job.sequence_id,
          sequence_contact_id: job.sequence_contact_id,
          contact_id: job.contact_id,
          mailbox_id: job.mailbox_id,
          step_order: job.step_order,
          sent_at: sentAt.getTime(),
        },
      }),
    }),
  );
  if (!recorded) {
    log.error('sent, but the email was no longer ours to finish (lease expired?)');
    return;
  }
  deps.metrics.sent.inc();
  await publishSoon(deps, recorded.outboxIds);
}

/** Renders the step for the contact and builds the MIME message, with the attempt's stored Message-ID. */
async function buildMessage(
  context: SendContext,
  emailId: string,
  smtpMessageId: string,
  unsubscribe: UnsubscribeLinks,
) {
  const rendered = await renderEmail(
    {
      subject: stepSubject(context.subject, context.thread_subject),
      content: context.content,
      format: context.content_format as ContentFormat,
    },
    {
      email: context.contact_email,
      first_name: context.first_name,
      last_name: context.last_name,
      company: context.company,
      fields: (context.fields ?? {}) as Record<string, unknown>,
    },
  );
  const mail = await composeMessage({
    from: { name: context.mailbox_display_name, address: context.mailbox_email },
    to: context.contact_email,
    subject: rendered.subject,
    text: rendered.text,
    ...(rendered.html ? { html: rendered.html } : {}),
    messageId: smtpMessageId,
    headers: {
      ...threadHeaders(context.thread_message_ids),
      'X-Outflow-Email-Id': emailId,
      ...unsubscribeHeaders(unsubscribe, {
        workspaceId: context.workspace_id,
        contactId: context.contact_id,
        mailboxEmail: context.mailbox_email,
      }),
    },
  });
  return { mail, smtpMessageId };
}

/**
 * In-Reply-To (the thread's latest email) and References (all of them, oldest first), so mail clients show the
 * follow-up under the first email (RFC 5322 section 3.6.4). None for a first step, or when nothing before was sent.
 */
function threadHeaders(messageIds: readonly string[] | null): Record<string, string> {
  if (!messageIds || messageIds.length === 0) return {};
  return { 'In-Reply-To': messageIds.at(-1)!, References: messageIds.join(' ') };
}

interface SendFailure {
  kind: 'temporary' | 'permanent';
  smtpCode: number | null;
  errorCode: string;
  message: string;
}

/** Ends a claim whose send did not happen: records the failure and emits the retry event (through the outbox). */
async function endWithFailure(
  deps: EmailJobDeps,
  message: ConsumedMessage<'email-jobs'>,
  record: <T>(write: () => Promise<T>) => Promise<T>,
  failure: SendFailure,
): Promise<void> {
  const job = message.payload;
  const outboxIds = await record(() =>
    recordFailure(
      deps.db,
      {
        emailId: job.email_id,
        claimToken: job.claim_token,
        errorCode: failure.errorCode,
        errorMessage: failure.message,
        kind: failure.kind,
      },
      (attempts) => ({
        // The retry continues this email's trace, sampled or not.
        trace: carrierOf(message.trace),
        topic: 'email-retries',
        messageId: `email-retry:${job.email_id}:${attempts}`,
        key: job.email_id,
        payload: {
          event_id: randomUUID(),
          email_id: job.email_id,
          sequence_contact_id: job.sequence_contact_id,
          claim_token: job.claim_token,
          attempt: attempts,
          failure_kind: failure.kind,
          smtp_code: failure.smtpCode,
          error_code: failure.errorCode,
          error_message: failure.message,
          failed_at: Date.now(),
        },
      }),
    ),
  );
  if (outboxIds) await publishSoon(deps, outboxIds);
}

/**
 * Publishes freshly committed outbox rows. A failure here loses nothing (the relay publishes them later), so it
 * is logged, not thrown: throwing would retry a message whose work is already done.
 */
async function publishSoon(deps: EmailJobDeps, outboxIds: string[]): Promise<void> {
  try {
    await deps.statements.publish(outboxIds);
  } catch (error) {
    deps.logger.warn({ err: error, outboxIds }, 'publishing from the outbox failed; the relay will retry');
  }
}
