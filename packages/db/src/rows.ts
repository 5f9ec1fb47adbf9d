import type { Insertable, Selectable, Updateable } from 'kysely';
import type {
  Contacts,
  DeliveryEvents,
  EmailEvents,
  EmailQueues,
  KafkaBatches,
  MailboxDailyCounts,
  Mailboxes,
  SequenceContacts,
  SequenceMailboxes,
  Sequences,
  Steps,
} from './database.generated.js';

export type MailboxRow = Selectable<Mailboxes>;
export type NewMailboxRow = Insertable<Mailboxes>;
export type MailboxUpdate = Updateable<Mailboxes>;
export type SequenceRow = Selectable<Sequences>;
export type NewSequenceRow = Insertable<Sequences>;
export type StepRow = Selectable<Steps>;
export type NewStepRow = Insertable<Steps>;
export type SequenceMailboxRow = Selectable<SequenceMailboxes>;
export type ContactRow = Selectable<Contacts>;
export type NewContactRow = Insertable<Contacts>;
export type SequenceContactRow = Selectable<SequenceContacts>;
export type NewSequenceContactRow = Insertable<SequenceContacts>;
export type EmailQueueRow = Selectable<EmailQueues>;
export type NewEmailQueueRow = Insertable<EmailQueues>;
export type EmailQueueUpdate = Updateable<EmailQueues>;
export type MailboxDailyCountRow = Selectable<MailboxDailyCounts>;
export type EmailEventRow = Selectable<EmailEvents>;
export type NewEmailEventRow = Insertable<EmailEvents>;
export type KafkaBatchRow = Selectable<KafkaBatches>;
export type NewKafkaBatchRow = Insertable<KafkaBatches>;
export type DeliveryEventRow = Selectable<DeliveryEvents>;
