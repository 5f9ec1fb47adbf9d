import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../create-db.js';
import { insertEmailEvent } from './email-event.repository.js';

/** An email given up on (`permanent_failure`), with what an operator needs to decide on it. */
interface FailedEmail {
  id: string;
  recipient: string;
  mailbox: string;
  sequenceId: string;
  sequenceName: string;
  stepOrder: number;
  attempts: number;
  retries: number;
  failedAt: Date;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface FailedEmailQuery {
  /** Only those that failed at or after this time. */
  since?: Date | undefined;
  sequenceId?: string | undefined;
  /** Oldest first (for working through them a page at a time), instead of newest first. */
  oldestFirst?: boolean;
  /** With oldestFirst: the rows after a page's `next`. */
  after?: string | undefined;
  limit: number;
}

export interface FailedEmailPage {
  emails: FailedEmail[];
  /** Where the page ended (its last row's exact failure time and id), for `after`; absent when it is empty. */
  next: string | undefined;
}

/**
 * Permanent failures, newest first (or oldest first, a page after another), from the after-failure index on
 * (status, updated_at): nothing else updates a permanently failed email, so its updated_at is when it failed.
 */
export async function listFailedEmails(db: Database, query: FailedEmailQuery): Promise<FailedEmailPage> {
  let select = db
    .selectFrom('email_queues as e')
    .innerJoin('contacts as c', 'c.id', 'e.contact_id')
    .innerJoin('mailboxes as m', 'm.id', 'e.mailbox_id')
    .innerJoin('sequences as s', 's.id', 'e.sequence_id')
    .select([
      'e.id',
      'c.email as recipient',
      'm.email as mailbox',
      'e.sequence_id as sequenceId',
      's.name as sequenceName',
      'e.step_order as stepOrder',
      'e.attempts',
      'e.retry_count as retries',
      'e.updated_at as failedAt',
      'e.error_code as errorCode',
      'e.error_message as errorMessage',
      // The cursor keeps the time's microseconds, which a JavaScript Date would cut to milliseconds.
      sql<string>`e.updated_at::text`.as('cursorTime'),
    ])
    .where('e.status', '=', 'permanent_failure');
  if (query.since) select = select.where('e.updated_at', '>=', query.since);
  if (query.sequenceId) select = select.where('e.sequence_id', '=', query.sequenceId);
  if (query.oldestFirst) {
    select = select.orderBy('e.updated_at').orderBy('e.id');
  } else {
    select = select.orderBy('e.updated_at', 'desc').orderBy('e.id', 'desc');
  }
  if (query.after) {
    if (!query.oldestFirst) throw new Error('listFailedEmails: `after` pages oldest first only');
    const separator = query.after.lastIndexOf('|');
    const [time, id] = [query.after.slice(0, separator), query.after.slice(separator + 1)];
    select = select.where(sql<boolean>`(e.updated_at, e.id) > (${time}::timestamptz, ${id}::uuid)`);
  }
  const rows = await select.limit(query.limit).execute();
  const last = rows.at(-1);
  return {
    emails: rows.map(({ cursorTime: _cursor, ...email }) => email),
    next: last && `${last.cursorTime}|${last.id}`,
  };
}

/** How many permanent failures a query matches (its since and sequence), from the same index. */
export async function countFailedEmails(
  db: Database,
  query: Pick<FailedEmailQuery, 'since' | 'sequenceId'>,
): Promise<number> {
  let select = db
    .selectFrom('email_queues')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('status', '=', 'permanent_failure');
  if (query.since) select = select.where('updated_at', '>=', query.since);
  if (query.sequenceId) select = select.where('sequence_id', '=', query.sequenceId);
  return Number((await select.executeTakeFirstOrThrow()).count);
}

export type RequeueResult = { id: string; requeued: true } | { id: string; requeued: false; reason: string };

/**
 * Sends a permanently failed email again, now, with a fresh set of retries: an operator's decision after fixing
 * the cause, recorded as a `retry_scheduled` event with the reason and who asked (the status change itself is
 * audited by the delivery trigger). Refuses, and says why, every email that is not a permanent failure (a sent
 * or uncertain one is never sent again from here) and one whose enrollment has ended otherwise (the contact
 * unsubscribed, was cancelled or completed). A bounced enrollment, which the failure ended, becomes active again.
 */
export async function requeueFailedEmail(
  db: Database,
  id: string,
  reason: { text: string; by: string },
): Promise<RequeueResult> {
  return db.transaction().execute(async (trx) => {
    const email = await trx
      .selectFrom('email_queues as e')
      .innerJoin('sequence_contacts as sc', 'sc.id', 'e.sequence_contact_id')
      .select(['e.id', 'e.status', 'e.sequence_id', 'e.contact_id', 'e.mailbox_id', 'e.sequence_contact_id'])
      .select('sc.status as enrollmentStatus')
      .where('e.id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!email) return { id, requeued: false, reason: 'no such email' };
    if (email.status !== 'permanent_failure') {
      return { id, requeued: false, reason: `it is ${email.status}, not a permanent failure` };
    }
    if (email.enrollmentStatus !== 'bounced' && email.enrollmentStatus !== 'active') {
      return { id, requeued: false, reason: `its enrollment is ${email.enrollmentStatus}` };
    }
    await trx
      .updateTable('email_queues')
      .set({
        status: 'scheduled',
        scheduled_for: sql`now()`,
        retry_count: 0,
        claim_token: null,
        claimed_at: null,
        capacity_day: null,
        failure_kind: null,
        dead_lettered_at: null,
      })
      .where('id', '=', id)
      .execute();
    await trx
      .updateTable('sequence_contacts')
      .set({ status: 'active' })
      .where('id', '=', email.sequence_contact_id)
      .where('status', '=', 'bounced')
      .execute();
    await insertEmailEvent(trx, {
      emailId: id,
      sequenceId: email.sequence_id,
      contactId: email.contact_id,
      mailboxId: email.mailbox_id,
      type: 'retry_scheduled',
      eventKey: `manual_retry:${id}:${randomUUID()}`,
      metadata: { manual: true, reason: reason.text, by: reason.by },
    });
    return { id, requeued: true };
  });
}
