import { sql } from 'kysely';
import type { Database } from '../create-db.js';
import type { EmailEventType, Json } from '../database.generated.js';
import { prepared } from '../prepared-statements.js';

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
export async function insertEmailEvent(db: Database, event: NewEmailEvent): Promise<void> {
  await insertEmailEvents(db, [event]);
}

/**
 * Records many email events in one statement (same rules as insertEmailEvent). The rows travel as one array per
 * column, so the text is the same for any count and the statement is prepared once per connection (a VALUES list
 * would be parsed and planned again for every count).
 */
export async function insertEmailEvents(db: Database, events: readonly NewEmailEvent[]): Promise<void> {
  if (events.length === 0) return;
  await prepared(
    'insert-email-events',
    sql`
    insert into email_events (email_queue_id, sequence_id, contact_id, mailbox_id, type, event_key, metadata)
    select * from unnest(
      ${events.map((event) => event.emailId)}::uuid[], ${events.map((event) => event.sequenceId)}::uuid[],
      ${events.map((event) => event.contactId)}::uuid[], ${events.map((event) => event.mailboxId)}::uuid[],
      ${events.map((event) => event.type)}::email_event_type[], ${events.map((event) => event.eventKey)}::text[],
      ${events.map((event) => JSON.stringify(event.metadata ?? {}))}::jsonb[])
    on conflict (event_key) do nothing
  `,
  ).execute(db);
}
