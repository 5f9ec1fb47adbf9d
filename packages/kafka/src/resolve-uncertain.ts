import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { insertEmailEvent, type Database } from '@outflow/db';
import { enqueueOutbox } from './outbox.js';

/**
 * Settles an uncertain email as sent, in the caller's transaction: it is marked sent at its last attempt, its
 * enrollment's step moves on, a `sent` event says who settled it, and its follow-up goes through the outbox (the
 * sender's relay publishes it when the caller does not). False when it is not, or no longer, uncertain.
 */
export async function markUncertainSent(
  db: Database,
  emailId: string,
  settledBy: { by: 'operator' | 'sent-folder'; messageId?: string },
): Promise<{ outboxIds: string[] } | undefined> {
  const email = await db
    .selectFrom('email_queues')
    .selectAll()
    .where('id', '=', emailId)
    .where('status', '=', 'uncertain')
    .forUpdate()
    .executeTakeFirst();
  if (!email) return undefined;
  const sentAt = email.last_attempt_at ?? new Date();
  await db
    .updateTable('email_queues')
    .set({ status: 'sent', sent_at: sentAt, ...(settledBy.messageId ? { smtp_message_id: settledBy.messageId } : {}) })
    .where('id', '=', emailId)
    .execute();
  await db
    .updateTable('sequence_contacts')
    .set({ current_step: sql`greatest(current_step, ${email.step_order})` })
    .where('id', '=', email.sequence_contact_id)
    .execute();
  await insertEmailEvent(db, {
    emailId,
    sequenceId: email.sequence_id,
    contactId: email.contact_id,
    mailboxId: email.mailbox_id,
    type: 'sent',
    eventKey: `sent:${emailId}:uncertain-settled`,
    metadata: { settled_by: settledBy.by, ...(settledBy.messageId ? { message_id: settledBy.messageId } : {}) },
  });
  const outboxIds = await enqueueOutbox(db, [
    {
      topic: 'followup-events',
      messageId: `followup:${email.id}`,
      key: email.sequence_contact_id,
      payload: {
        event_id: randomUUID(),
        email_id: email.id,
        sequence_id: email.sequence_id,
        sequence_contact_id: email.sequence_contact_id,
        contact_id: email.contact_id,
        mailbox_id: email.mailbox_id,
        step_order: email.step_order,
        sent_at: sentAt.getTime(),
      },
    },
  ]);
  return { outboxIds };
}
