import type { Database } from '../create-db.js';
import { settleReservations } from './mailbox-capacity.repository.js';

/** Which emails: one enrollment's, a whole sequence's, one contact's, or one mailbox's. */
export type EmailScope =
  { sequenceContactId: string } | { sequenceId: string } | { contactId: string } | { mailboxId: string };

const scopeColumn = {
  sequenceContactId: 'sequence_contact_id',
  sequenceId: 'sequence_id',
  mailboxId: 'mailbox_id',
} as const;

type ScopeKey = keyof typeof scopeColumn | 'contactId';

/**
 * Cancels the emails of `scope` not yet handed to SMTP (scheduled, claimed and waiting for a sender, waiting to
 * retry) and gives back the capacity each claimed one had reserved, in the caller's transaction. A claimed email
 * whose job is still in Kafka is harmless: the sender sends only an email whose status and claim token still
 * match. One being sent (`sending`) is left to finish; its outcome is recorded as usual. Returns how many.
 */
export async function cancelUnsentEmails(db: Database, scope: EmailScope): Promise<number> {
  const [key, id] = Object.entries(scope)[0] as [ScopeKey, string];
  const cancelled = await db
    .updateTable('email_queues')
    .set({ status: 'cancelled', lease_expires_at: null })
    // A contact's emails are found through its enrollments (indexed), not by a scan for its id.
    .where((eb) =>
      key === 'contactId'
        ? eb('sequence_contact_id', 'in', eb.selectFrom('sequence_contacts').select('id').where('contact_id', '=', id))
        : eb(scopeColumn[key], '=', id),
    )
    .where('status', 'in', ['scheduled', 'queued', 'retry_pending'])
    .returning(['mailbox_id', 'capacity_day', 'claim_token'])
    .execute();
  const released = new Map<string, { mailboxId: string; day: string; count: number }>();
  for (const row of cancelled) {
    if (!row.claim_token || !row.capacity_day) continue;
    const entry = released.get(`${row.mailbox_id}|${row.capacity_day}`) ?? {
      mailboxId: row.mailbox_id,
      day: row.capacity_day,
      count: 0,
    };
    entry.count += 1;
    released.set(`${row.mailbox_id}|${row.capacity_day}`, entry);
  }
  await settleReservations(db, [...released.values()], false);
  return cancelled.length;
}
