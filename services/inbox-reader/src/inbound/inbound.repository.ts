import { sql } from 'kysely';
import { cancelUnsentEmails, type Database, type InboundKind, type BounceType } from '@outflow/db';

/** A sequence email an inbound message answers or reports on, with what stopping its contact needs. */
export interface AnsweredEmail {
  id: string;
  contact_id: string;
  contact_email: string;
  sequence_id: string;
  sequence_contact_id: string;
  mailbox_id: string;
  reply_stops: 'workspace' | 'sequence';
}

function answeredEmails(db: Database) {
  return db
    .selectFrom('email_queues as e')
    .innerJoin('contacts as c', 'c.id', 'e.contact_id')
    .innerJoin('sequences as s', 's.id', 'e.sequence_id')
    .select([
      'e.id',
      'e.contact_id',
      'c.email as contact_email',
      'e.sequence_id',
      'e.sequence_contact_id',
      'e.mailbox_id',
      's.reply_stops',
    ]);
}

/** The workspace's emails among `ids` (by primary key), in the order given: the first is the one answered. */
export async function findEmailsByIds(
  db: Database,
  workspaceId: string,
  ids: readonly string[],
): Promise<AnsweredEmail[]> {
  if (ids.length === 0) return [];
  const rows = await answeredEmails(db).where('e.id', 'in', ids).where('e.workspace_id', '=', workspaceId).execute();
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * The latest email this mailbox sent to `address` within `days`: the thread a message from that address most
 * likely answers when it names none of our Message-IDs. Found through the contact and its enrollments (indexed).
 */
export async function findLatestEmailTo(
  db: Database,
  lookup: { workspaceId: string; mailboxId: string; address: string; days: number },
): Promise<AnsweredEmail | undefined> {
  return answeredEmails(db)
    .innerJoin('sequence_contacts as sc', 'sc.id', 'e.sequence_contact_id')
    .where('c.workspace_id', '=', lookup.workspaceId)
    .where(sql`lower(c.email)`, '=', lookup.address.toLowerCase())
    .where('e.mailbox_id', '=', lookup.mailboxId)
    .where('e.status', '=', 'sent')
    .where('e.sent_at', '>', sql<Date>`now() - make_interval(days => ${lookup.days})`)
    .orderBy('e.sent_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The address of a workspace's contact (a signed unsubscribe token names the contact by id). */
export async function findContactAddress(
  db: Database,
  workspaceId: string,
  contactId: string,
): Promise<string | undefined> {
  const contact = await db
    .selectFrom('contacts')
    .select('email')
    .where('id', '=', contactId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return contact?.email;
}

/**
 * Ends the enrollments a reply stops, in the caller's transaction: every active one of the contact in the
 * workspace, or only the answered sequence's (its `reply_stops`), with their unsent emails (capacity given back).
 */
export async function stopForReply(db: Database, email: AnsweredEmail): Promise<number> {
  const stopped = await db
    .updateTable('sequence_contacts')
    .set({ status: 'replied' })
    .where('contact_id', '=', email.contact_id)
    .where('status', '=', 'active')
    .$if(email.reply_stops === 'sequence', (query) => query.where('sequence_id', '=', email.sequence_id))
    .returning('id')
    .execute();
  for (const enrollment of stopped) await cancelUnsentEmails(db, { sequenceContactId: enrollment.id });
  return stopped.length;
}

export interface InboundRecord {
  workspaceId: string;
  mailboxId: string;
  uidvalidity: bigint;
  uid: bigint;
  messageId: string | undefined;
  kind: InboundKind;
  bounceType: BounceType | null;
  fromAddress: string | undefined;
  subject: string;
  emailId: string | null;
  contactId: string | null;
  recipient: string | null;
  statusCode: string | null;
  diagnostic: string | null;
  stoppedEnrollments: number;
  receivedAt: Date | undefined;
}

/**
 * Records a message read. The caller checked the UID is not recorded (inboundRecorded) under the lock on the
 * mailbox's lease row, so the unique key is a guard, not a branch: a violation rolls the transaction back.
 */
export async function insertInboundMessage(db: Database, record: InboundRecord): Promise<string> {
  const inserted = await db
    .insertInto('inbound_messages')
    .values({
      workspace_id: record.workspaceId,
      mailbox_id: record.mailboxId,
      uidvalidity: record.uidvalidity.toString(),
      uid: record.uid.toString(),
      message_id: record.messageId?.slice(0, 500) ?? null,
      kind: record.kind,
      bounce_type: record.bounceType,
      from_address: record.fromAddress?.slice(0, 500) ?? null,
      subject: record.subject.slice(0, 500),
      email_id: record.emailId,
      contact_id: record.contactId,
      recipient: record.recipient,
      status_code: record.statusCode,
      diagnostic: record.diagnostic?.slice(0, 1_000) ?? null,
      stopped_enrollments: record.stoppedEnrollments,
      received_at: record.receivedAt ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return inserted.id;
}

/** Whether the UID was recorded already: the effects of a message are applied once. */
export async function inboundRecorded(
  db: Database,
  key: { mailboxId: string; uidvalidity: bigint; uid: bigint },
): Promise<boolean> {
  const row = await db
    .selectFrom('inbound_messages')
    .select('id')
    .where('mailbox_id', '=', key.mailboxId)
    .where('uidvalidity', '=', key.uidvalidity.toString())
    .where('uid', '=', key.uid.toString())
    .executeTakeFirst();
  return row !== undefined;
}
