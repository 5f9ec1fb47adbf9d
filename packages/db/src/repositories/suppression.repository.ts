import { sql } from 'kysely';
import type { Database } from '../create-db.js';
import type { ContactStatus, EnrollmentStatus, SuppressionReason } from '../database.generated.js';
import { cancelUnsentEmails } from './cancel-emails.repository.js';

/** What an enrollment stopped by a suppression ends as. */
export const stoppedEnrollmentStatus: Record<SuppressionReason, EnrollmentStatus> = {
  unsubscribed: 'unsubscribed',
  complained: 'unsubscribed',
  bounced: 'bounced',
  replied: 'cancelled',
  manual: 'cancelled',
};

/** The contact status a suppression implies, where one does (enrollment skips a contact that is not active). */
const contactStatusFor: Partial<Record<SuppressionReason, ContactStatus>> = {
  unsubscribed: 'unsubscribed',
  complained: 'unsubscribed',
  bounced: 'bounced',
};

interface SuppressionRow {
  id: string;
  email: string;
  reason: SuppressionReason;
  note: string | null;
  created_at: Date;
}

/**
 * Suppresses an address in a workspace and stops writing to it, in the caller's transaction: the suppression is
 * recorded (an address already suppressed keeps its first reason), every active enrollment of the contact with
 * that address is ended (unsubscribed, bounced or cancelled, by the reason) with its unsent emails (capacity given
 * back), and the contact's status follows an unsubscribe or a bounce. The API runs it in a request's workspace;
 * `workspaceId` names it for callers outside a request (the unsubscribe link, the inbox reader).
 */
export async function suppressAddress(
  db: Database,
  suppression: { workspaceId: string; email: string; reason: SuppressionReason; note?: string | null | undefined },
) {
  const email = suppression.email.trim();
  const inserted = await db
    .insertInto('suppressions')
    .values({
      workspace_id: suppression.workspaceId,
      email,
      reason: suppression.reason,
      note: suppression.note ?? null,
    })
    .onConflict((conflict) => conflict.expression(sql`workspace_id, lower(email)`).doNothing())
    .returning(['id', 'email', 'reason', 'note', 'created_at'])
    .executeTakeFirst();
  const row: SuppressionRow =
    inserted ??
    (await db
      .selectFrom('suppressions')
      .select(['id', 'email', 'reason', 'note', 'created_at'])
      .where('workspace_id', '=', suppression.workspaceId)
      .where(sql`lower(email)`, '=', email.toLowerCase())
      .executeTakeFirstOrThrow());

  const contacts = await db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', suppression.workspaceId)
    .where(sql`lower(email)`, '=', email.toLowerCase())
    .execute();
  let stoppedEnrollments = 0;
  let cancelledEmails = 0;
  for (const contact of contacts) {
    const stopped = await db
      .updateTable('sequence_contacts')
      .set({ status: stoppedEnrollmentStatus[row.reason] })
      .where('contact_id', '=', contact.id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    stoppedEnrollments += Number(stopped.numUpdatedRows);
    cancelledEmails += await cancelUnsentEmails(db, { contactId: contact.id });
    const status = contactStatusFor[row.reason];
    if (status) await db.updateTable('contacts').set({ status }).where('id', '=', contact.id).execute();
  }
  return {
    suppression: row,
    created: inserted !== undefined,
    stopped_enrollments: stoppedEnrollments,
    cancelled_emails: cancelledEmails,
  };
}

/**
 * Lifts a suppression: the address may be enrolled again (enrollments it ended stay ended), and a contact whose
 * status came from an unsubscribe or a bounce is active again. False when the address was not suppressed.
 */
export async function liftSuppression(db: Database, workspaceId: string, email: string): Promise<boolean> {
  const deleted = await db
    .deleteFrom('suppressions')
    .where('workspace_id', '=', workspaceId)
    .where(sql`lower(email)`, '=', email.trim().toLowerCase())
    .executeTakeFirst();
  if (deleted.numDeletedRows === 0n) return false;
  await db
    .updateTable('contacts')
    .set({ status: 'active' })
    .where('workspace_id', '=', workspaceId)
    .where(sql`lower(email)`, '=', email.trim().toLowerCase())
    .where('status', 'in', ['unsubscribed', 'bounced'])
    .execute();
  return true;
}
