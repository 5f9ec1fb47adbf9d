import type { Insertable, Updateable } from 'kysely';
import type { Mailboxes } from './database.generated.js';

export type NewMailboxRow = Insertable<Mailboxes>;
export type MailboxUpdate = Updateable<Mailboxes>;
