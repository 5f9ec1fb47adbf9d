import type { Kysely } from 'kysely';
import type { DB, EmailEventType, Json } from '../database.generated.js';

export interface NewEmailEvent {
  emailId: string;
  sequenceId: string | null;
  contactId: string | null;
  mailboxId: string | null;
  type: EmailEventType;
  /** Idempotency: an event with a key that was already recorded is ignored (redelivered messages). */
  eventKey: string;
  metadata?: Json;
}

/** Records an email event; callers pass their transaction so the event commits with the change it describes. */
export async function insertEmailEvent(db: Kysely<DB>, event: NewEmailEvent): Promise<void> {
  await insertEmailEvents(db, [event]);
}

/** Records many email events in one statement (same rules as insertEmailEvent). */
export async function insertEmailEvents(db: Kysely<DB>, events: readonly NewEmailEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('email_events')
    .values(
      events.map((event) => ({
        email_queue_id: event.emailId,
        sequence_id: event.sequenceId,
        contact_id: event.contactId,
        mailbox_id: event.mailboxId,
        type: event.type,
        event_key: event.eventKey,
        metadata: JSON.stringify(event.metadata ?? {}),
      })),
    )
    .onConflict((conflict) => conflict.column('event_key').doNothing())
    .execute();
}
