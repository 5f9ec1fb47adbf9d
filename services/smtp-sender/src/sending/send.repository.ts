import { sql, type InferResult } from 'kysely';
import {
  insertEmailEvent,
  insertEmailEvents,
  prepared,
  settleReservation,
  settleReservations,
  stoppedEnrollmentStatus,
  windowOpening,
  type Database,
  type SuppressionReason,
} from '@outflow/db';
import { enqueueOutbox, type OutboxMessage } from '@outflow/kafka';

export interface SendStart {
  emailId: string;
  claimToken: string;
  /** The domain of the Message-ID: the sending mailbox's. */
  messageIdDomain: string;
}

/**
 * Moves claimed emails to `sending` with a lease, each only if it is still `queued` under its claim token (a
 * redelivered or stale message matches nothing and must send nothing). One statement for the whole batch;
 * returns each input's new attempt number and the Message-ID the attempt sends with, or undefined for an email
 * that was not started. The Message-ID (`<email-id.attempt@mailbox-domain>`) is stored before a byte goes out, so
 * a reply to it, or the copy in the mailbox's Sent folder of a send left uncertain, can be traced to the email. A
 * send that starts ends what an earlier dead letter said about the email (it no longer shows `dead_letter`).
 */
export async function startSendingMany(
  db: Database,
  starts: readonly SendStart[],
  leaseMs: number,
): Promise<({ attempts: number; smtpMessageId: string } | undefined)[]> {
  const { rows } = await prepared(
    'start-sending',
    sql<{ id: string; attempts: number; smtp_message_id: string }>`
    update email_queues e
    set status = 'sending', lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000}),
        attempts = e.attempts + 1, last_attempt_at = now(), dead_lettered_at = null,
        smtp_message_id = '<' || e.id || '.' || (e.attempts + 1) || '@' || job.domain || '>'
    from unnest(${starts.map((start) => start.emailId)}::uuid[], ${starts.map((start) => start.claimToken)}::uuid[],
      ${starts.map((start) => start.messageIdDomain)}::text[]) as job(email_id, claim_token, domain)
    where e.id = job.email_id and e.status = 'queued' and e.claim_token = job.claim_token
    returning e.id, e.attempts, e.smtp_message_id
  `,
  ).execute(db);
  return toInputOrder(
    starts,
    new Map(rows.map((row) => [row.id, { attempts: row.attempts, smtpMessageId: row.smtp_message_id }])),
  );
}

/**
 * Each input's result from a batch statement that returned one row per email it changed. An email given twice
 * in one batch (a duplicate message) was changed once: only its first input gets the result.
 */
function toInputOrder<R>(inputs: readonly { emailId: string }[], byEmail: Map<string, R>): (R | undefined)[] {
  return inputs.map((input) => {
    const result = byEmail.get(input.emailId);
    byEmail.delete(input.emailId);
    return result;
  });
}

/**
 * Everything needed to decide whether to send, and to render and send, for each email (undefined if gone). The
 * ids travel as one array, so the statement is prepared once per connection instead of planned for every call
 * (a four-table join planned per call cost as much as running it).
 */
export async function findSendContexts(db: Database, emailIds: readonly string[]) {
  const query = db
    .selectFrom('email_queues as e')
    .innerJoin('mailboxes as m', 'm.id', 'e.mailbox_id')
    .innerJoin('contacts as c', 'c.id', 'e.contact_id')
    .innerJoin('steps as st', 'st.id', 'e.step_id')
    .innerJoin('sequences as s', 's.id', 'e.sequence_id')
    // A follow-up answers in its thread: the first step's subject (of the same version) and the Message-IDs of
    // the enrollment's earlier sent emails, by the unique (enrollment, step) index. Nothing to look up for a first
    // step, which most sends are.
    .leftJoin('steps as first', (join) =>
      join
        .onRef('first.sequence_id', '=', 'st.sequence_id')
        .onRef('first.version', '=', 'st.version')
        .on('first.step_order', '=', 1)
        .on('e.step_order', '>', 1),
    )
    // The workspace's suppression of the address, if any (one lookup in its unique index).
    .leftJoin('suppressions as sp', (join) =>
      join.onRef('sp.workspace_id', '=', 'c.workspace_id').on(sql`lower(sp.email)`, '=', sql`lower(c.email)`),
    )
    .select([
      'e.id',
      'e.status',
      'e.claim_token',
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
      'm.smtp_allow_insecure_auth',
      'm.smtp_username',
      'm.encrypted_smtp_password',
      'm.smtp_password_key_id',
      'm.updated_at as mailbox_updated_at',
      'c.email as contact_email',
      'c.workspace_id',
      'c.first_name',
      'c.last_name',
      'c.company',
      'c.fields',
      'st.subject',
      'st.content',
      'st.content_format',
      'sp.reason as suppressed',
      // Outside its sequence's send window on the recipient's clock now: when the window next opens.
      sql<Date | null>`case when s.send_days is not null then nullif(${windowOpening(sql`now()`)}, now()) end`.as(
        'window_opens_at',
      ),
      'first.subject as thread_subject',
      sql<string[] | null>`case when e.step_order > 1 then (
        select array_agg(p.smtp_message_id order by p.step_order) from email_queues p
        where p.sequence_contact_id = e.sequence_contact_id and p.step_order < e.step_order
          and p.status = 'sent' and p.smtp_message_id is not null) end`.as('thread_message_ids'),
    ])
    .where('e.id', '=', sql<string>`any(${[...new Set(emailIds)]}::uuid[])`);
  const { rows } = await prepared('find-send-contexts', sql<InferResult<typeof query>[number]>`${query}`).execute(db);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return emailIds.map((id) => byId.get(id));
}

export type SendContext = NonNullable<Awaited<ReturnType<typeof findSendContexts>>[number]>;

export interface SentEmail {
  emailId: string;
  claimToken: string;
  smtpMessageId: string;
  smtpResponse: string;
  /** How long the SMTP transaction took, from handing over the message to the server's reply. */
  smtpMs: number;
  followup: (sentAt: Date) => OutboxMessage<'followup-events'>;
}

/**
 * Sends succeeded: in one transaction for the whole batch, mark the emails sent, settle their capacity
 * reservations as sends, move each enrollment's current step, record the events and put the follow-up events in
 * the outbox (so none can be lost to a crash after the commit). Guarded by status and token, so recording a send
 * twice is a no-op. Returns, per input, the sent time and its outbox row ids, or undefined when the email was not
 * ours to finish. Rows are locked in key order, so concurrent batches (other replicas, the producer) queue up
 * instead of deadlocking.
 */
export async function recordSentMany(
  db: Database,
  sends: readonly SentEmail[],
): Promise<({ sentAt: Date; outboxIds: string[] } | undefined)[]> {
  return db.transaction().execute(async (trx) => {
    const ordered = [...new Map(sends.map((send) => [send.emailId, send])).values()].sort((a, b) =>
      a.emailId.localeCompare(b.emailId),
    );
    const { rows } = await prepared(
      'record-sent',
      sql<{
        id: string;
        sent_at: Date;
        mailbox_id: string;
        capacity_day: string;
        sequence_contact_id: string;
        step_order: number;
        sequence_id: string;
        contact_id: string;
      }>`
      with sent as (
        select job.email_id, job.smtp_message_id from email_queues e
        join unnest(${ordered.map((send) => send.emailId)}::uuid[], ${ordered.map((send) => send.claimToken)}::uuid[],
          ${ordered.map((send) => send.smtpMessageId)}::text[]) as job(email_id, claim_token, smtp_message_id)
          on e.id = job.email_id and e.status = 'sending' and e.claim_token = job.claim_token
        order by e.id
        for no key update of e
      )
      update email_queues e
      set status = 'sent', sent_at = now(), lease_expires_at = null, smtp_message_id = sent.smtp_message_id
      from sent where e.id = sent.email_id
      returning e.id, e.sent_at, e.mailbox_id, e.capacity_day::text, e.sequence_contact_id, e.step_order,
        e.sequence_id, e.contact_id
    `,
    ).execute(trx);
    if (rows.length === 0) return sends.map(() => undefined);
    const perDay = new Map<string, { mailboxId: string; day: string; count: number }>();
    for (const row of rows) {
      const key = `${row.mailbox_id}/${row.capacity_day}`;
      const entry = perDay.get(key) ?? { mailboxId: row.mailbox_id, day: row.capacity_day, count: 0 };
      entry.count += 1;
      perDay.set(key, entry);
    }
    await settleReservations(trx, [...perDay.values()], true);
    const steps = new Map<string, number>();
    for (const row of rows)
      steps.set(row.sequence_contact_id, Math.max(steps.get(row.sequence_contact_id) ?? 0, row.step_order));
    const enrollments = [...steps].sort(([a], [b]) => a.localeCompare(b));
    await prepared(
      'move-current-step',
      sql`
      with target as (
        select s.id, step.current_step from sequence_contacts s
        join unnest(${enrollments.map(([id]) => id)}::uuid[], ${enrollments.map(([, step]) => step)}::int[])
          as step(id, current_step) on s.id = step.id
        order by s.id
        for no key update of s
      )
      update sequence_contacts s set current_step = greatest(s.current_step, target.current_step)
      from target where s.id = target.id and s.current_step < target.current_step
    `,
    ).execute(trx);
    const bySend = new Map(sends.map((send) => [send.emailId, send]));
    await insertEmailEvents(
      trx,
      rows.map((row) => {
        const send = bySend.get(row.id)!;
        return {
          emailId: row.id,
          sequenceId: row.sequence_id,
          contactId: row.contact_id,
          mailboxId: row.mailbox_id,
          type: 'sent' as const,
          eventKey: `sent:${row.id}`,
          metadata: { smtp_response: send.smtpResponse, message_id: send.smtpMessageId, smtp_ms: send.smtpMs },
        };
      }),
    );
    const outboxIds = await enqueueOutbox(
      trx,
      rows.map((row) => bySend.get(row.id)!.followup(row.sent_at)),
    );
    return toInputOrder(
      sends,
      new Map(rows.map((row, index) => [row.id, { sentAt: row.sent_at, outboxIds: [outboxIds[index]!] }])),
    );
  });
}

interface FailedSend {
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
  trx: Database,
  error: FailedSend,
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
  db: Database,
  failed: FailedSend & { kind: 'temporary' | 'permanent' },
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
export async function recordUncertain(db: Database, uncertain: FailedSend): Promise<boolean> {
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

/**
 * Marks an email whose job message went to the dead letter topic, if it still waits under the claim the message
 * carried: until a send starts, its delivery status is `dead_letter` (the producer publishes the claim again when
 * it times out). Records a `dead_lettered` event the first time. Returns whether the email was marked.
 */
export async function markDeadLettered(
  db: Database,
  letter: { emailId: string; claimToken: string; errorCode: string; errorMessage: string },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('email_queues')
      .set({ dead_lettered_at: sql`now()` })
      .where('id', '=', letter.emailId)
      .where('status', '=', 'queued')
      .where('claim_token', '=', letter.claimToken)
      .where('dead_lettered_at', 'is', null)
      .returning(['sequence_id', 'contact_id', 'mailbox_id'])
      .executeTakeFirst();
    if (!row) return false;
    await insertEmailEvent(trx, {
      emailId: letter.emailId,
      sequenceId: row.sequence_id,
      contactId: row.contact_id,
      mailboxId: row.mailbox_id,
      type: 'dead_lettered',
      eventKey: `dead_lettered:${letter.emailId}:${letter.claimToken}`,
      metadata: { error_code: letter.errorCode, error_message: letter.errorMessage },
    });
    return true;
  });
}

/**
 * An email claimed late enough to fall outside its send window (held by capacity, pacing or a backlog): it goes
 * back to `scheduled` for the window's next opening, its capacity given back, as if it had been due then. Guarded
 * by status and claim token; false when the email was not ours to move.
 */
export async function deferToSendWindow(
  db: Database,
  email: { emailId: string; claimToken: string; opensAt: Date },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ mailbox_id: string; capacity_day: string }>`
      with claimed as (
        select id, mailbox_id, capacity_day from email_queues
        where id = ${email.emailId} and status = 'queued' and claim_token = ${email.claimToken}
        for no key update
      )
      update email_queues e
      set status = 'scheduled', scheduled_for = ${email.opensAt}, claim_token = null, claimed_at = null,
        capacity_day = null
      from claimed where e.id = claimed.id
      returning claimed.mailbox_id, claimed.capacity_day::text as capacity_day
    `.execute(trx);
    const row = rows[0];
    if (!row) return false;
    await settleReservation(trx, { mailboxId: row.mailbox_id, day: row.capacity_day, sent: false });
    return true;
  });
}

/**
 * An email whose address became suppressed after it was queued (an unsubscribe, a bounce, a person's decision):
 * cancelled instead of sent, its capacity given back, its enrollment ended as the suppression says, and a
 * `cancelled` event recorded with the reason. Guarded by status and claim token like every other outcome; false
 * when the email was not ours to finish.
 */
export async function cancelSuppressedEmail(
  db: Database,
  email: { emailId: string; claimToken: string; reason: SuppressionReason },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('email_queues')
      .set({
        status: 'cancelled',
        error_code: 'SUPPRESSED',
        error_message: `the address is suppressed (${email.reason}); nothing was sent`,
      })
      .where('id', '=', email.emailId)
      .where('status', '=', 'queued')
      .where('claim_token', '=', email.claimToken)
      .returning(['sequence_id', 'sequence_contact_id', 'contact_id', 'mailbox_id', 'capacity_day'])
      .executeTakeFirst();
    if (!row) return false;
    await settleReservation(trx, { mailboxId: row.mailbox_id, day: row.capacity_day!, sent: false });
    await trx
      .updateTable('sequence_contacts')
      .set({ status: stoppedEnrollmentStatus[email.reason] })
      .where('id', '=', row.sequence_contact_id)
      .where('status', '=', 'active')
      .execute();
    await insertEmailEvent(trx, {
      emailId: email.emailId,
      sequenceId: row.sequence_id,
      contactId: row.contact_id,
      mailboxId: row.mailbox_id,
      type: 'cancelled',
      eventKey: `cancelled:${email.emailId}`,
      metadata: { reason: 'suppressed', suppression_reason: email.reason },
    });
    return true;
  });
}
