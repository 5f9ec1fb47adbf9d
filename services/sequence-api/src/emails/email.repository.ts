import { sql } from 'kysely';
import type { Database, DeliveryStatus, EmailStatus } from '@outflow/db';
import { emailStatusesOf, isDeliveryStatus } from './email-status.js';

function baseQuery(db: Database) {
  return db
    .selectFrom('email_queues as e')
    .innerJoin('contacts as c', 'c.id', 'e.contact_id')
    .select([
      'e.id',
      'e.sequence_id',
      'e.sequence_contact_id',
      'e.contact_id',
      'c.email as recipient',
      'e.mailbox_id',
      'e.step_order',
      'e.status',
      // What the email's status means to the user; the audit trigger spells out the same mapping (a test compares).
      sql<DeliveryStatus>`email_delivery_status(e.status, e.retry_count, e.dead_lettered_at)`.as('delivery_status'),
      'e.scheduled_for',
      'e.attempts',
      'e.retry_count',
      'e.max_retries',
      'e.error_code',
      'e.error_message',
      'e.last_attempt_at',
      'e.sent_at',
      'e.smtp_message_id',
      'e.created_at',
      'e.updated_at',
    ]);
}

type EmailRow = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

function presentEmail({ error_code, error_message, ...row }: EmailRow) {
  return { ...row, last_error: error_code || error_message ? { code: error_code, message: error_message } : null };
}

export async function listEmails(
  db: Database,
  filter: {
    sequenceId?: string | undefined;
    /** A delivery status or an internal one. */
    status?: DeliveryStatus | EmailStatus | undefined;
    limit: number;
    cursor?: string | undefined;
  },
) {
  let query = baseQuery(db)
    .orderBy('e.id')
    .limit(filter.limit + 1);
  if (filter.sequenceId) query = query.where('e.sequence_id', '=', filter.sequenceId);
  const status = filter.status;
  if (status && isDeliveryStatus(status)) {
    query = query
      .where('e.status', 'in', emailStatusesOf[status])
      .where(sql<DeliveryStatus>`email_delivery_status(e.status, e.retry_count, e.dead_lettered_at)`, '=', status);
  } else if (status) {
    query = query.where('e.status', '=', status);
  }
  if (filter.cursor) query = query.where('e.id', '>', filter.cursor);
  const rows = await query.execute();
  const more = rows.length > filter.limit;
  const emails = rows.slice(0, filter.limit).map(presentEmail);
  return { emails, next_cursor: more ? emails.at(-1)!.id : null };
}

/** One email with its audit trail: every delivery status change and every recorded event. */
export async function findEmailWithHistory(db: Database, id: string) {
  const email = await baseQuery(db).where('e.id', '=', id).executeTakeFirst();
  if (!email) return undefined;
  const [statusChanges, events] = await Promise.all([
    db
      .selectFrom('delivery_events')
      .select(['from_status', 'to_status', 'attempts', 'error_code', 'error_message', 'occurred_at'])
      .where('email_queue_id', '=', id)
      .orderBy('occurred_at')
      .execute(),
    db
      .selectFrom('email_events')
      .select(['type', 'occurred_at', 'metadata'])
      .where('email_queue_id', '=', id)
      .orderBy('occurred_at')
      .execute(),
  ]);
  return { ...presentEmail(email), status_history: statusChanges, events };
}
