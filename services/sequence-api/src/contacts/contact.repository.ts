import { sql, type Transaction } from 'kysely';
import { cancelUnsentEmails, type ContactStatus, type Database, type DB, type DeliveryStatus } from '@outflow/db';
import { ApiError } from '../http/api-error.js';

const contactColumns = [
  'c.id',
  'c.email',
  'c.first_name',
  'c.last_name',
  'c.company',
  'c.time_zone',
  'c.fields',
  'c.status',
  'c.created_at',
  'c.updated_at',
] as const;

/** `%` and `_` in a search are the characters themselves, not LIKE's wildcards. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/**
 * Contacts in id order, matching `q`: the start of the address (served by the workspace's address index), or a
 * part of a name or the company (a scan of the workspace's contacts, stopped at the page's end).
 */
export async function listContacts(
  db: Database,
  filter: { q?: string | undefined; status?: ContactStatus | undefined; limit: number; cursor?: string | undefined },
) {
  let query = db
    .selectFrom('contacts as c')
    .select(contactColumns)
    .orderBy('c.id')
    .limit(filter.limit + 1);
  if (filter.q) {
    const part = likeLiteral(filter.q.toLowerCase());
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(c.email)`, 'like', `${part}%`),
        eb('c.first_name', 'ilike', `%${part}%`),
        eb('c.last_name', 'ilike', `%${part}%`),
        eb('c.company', 'ilike', `%${part}%`),
      ]),
    );
  }
  if (filter.status) query = query.where('c.status', '=', filter.status);
  if (filter.cursor) query = query.where('c.id', '>', filter.cursor);
  const rows = await query.execute();
  const contacts = rows.slice(0, filter.limit);
  return { contacts, next_cursor: rows.length > filter.limit ? contacts.at(-1)!.id : null };
}

/** A contact with its enrollments and its 20 most recent emails. */
export async function findContactDetail(db: Database, id: string) {
  const contact = await db.selectFrom('contacts as c').select(contactColumns).where('c.id', '=', id).executeTakeFirst();
  if (!contact) return undefined;
  const [enrollments, recentEmails] = await Promise.all([
    db
      .selectFrom('sequence_contacts as sc')
      .innerJoin('sequences as s', 's.id', 'sc.sequence_id')
      .select([
        'sc.id as sequence_contact_id',
        'sc.sequence_id',
        's.name as sequence_name',
        'sc.sequence_version',
        'sc.status',
        'sc.current_step',
        'sc.mailbox_id',
        'sc.enrolled_at',
        'sc.completed_at',
      ])
      .where('sc.contact_id', '=', id)
      .orderBy('sc.enrolled_at', 'desc')
      .execute(),
    db
      .selectFrom('email_queues as e')
      .innerJoin('sequence_contacts as sc', 'sc.id', 'e.sequence_contact_id')
      .select([
        'e.id',
        'e.sequence_id',
        'e.step_order',
        sql<DeliveryStatus>`email_delivery_status(e.status, e.retry_count, e.dead_lettered_at)`.as('delivery_status'),
        'e.scheduled_for',
        'e.sent_at',
      ])
      .where('sc.contact_id', '=', id)
      .orderBy('e.created_at', 'desc')
      .limit(20)
      .execute(),
  ]);
  return { ...contact, enrollments, recent_emails: recentEmails };
}

export async function updateContact(
  db: Database,
  id: string,
  changes: {
    first_name?: string | null | undefined;
    last_name?: string | null | undefined;
    company?: string | null | undefined;
    time_zone?: string | null | undefined;
    fields?: Record<string, string | number | boolean | null> | undefined;
  },
): Promise<boolean> {
  const { fields, ...names } = changes;
  const result = await db
    .updateTable('contacts')
    .set({ ...names, ...(fields === undefined ? {} : { fields: JSON.stringify(fields) }) })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Event metadata that names no one: kept when a contact is erased (SMTP replies and error texts may name it). */
const anonymousMetadataKeys = ['smtp_ms', 'error_code', 'kind', 'manual'];

/**
 * Erases a contact: its unsent emails are cancelled (capacity given back); its events are unlinked from it and
 * its emails, keep their workspace, and keep only anonymous metadata; a stored API answer of the last day that
 * names its address is forgotten, and so are the inbound messages (replies, bounces) of the contact or from its
 * address; then the contact goes with its enrollments, emails and their status history.
 * Refused (409 contact_sending) while one of its emails is being handed to SMTP. Undefined when there is none.
 */
export async function eraseContact(trx: Transaction<DB>, id: string) {
  const contact = await trx
    .selectFrom('contacts')
    .select(['id', 'email'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!contact) return undefined;
  const enrollmentIds = trx.selectFrom('sequence_contacts').select('id').where('contact_id', '=', id);
  const sending = await trx
    .selectFrom('email_queues')
    .select('id')
    .where('sequence_contact_id', 'in', enrollmentIds)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  if (sending) {
    throw new ApiError(
      409,
      'contact_sending',
      `an email to contact ${id} is being sent right now (${sending.id}); retry in a minute`,
    );
  }
  const cancelledEmails = await cancelUnsentEmails(trx, { contactId: id });
  const { rows: kept } = await sql<{ id: string }>`
    update email_events e
    set contact_id = null, workspace_id = coalesce(e.workspace_id, q.workspace_id),
      metadata = coalesce(
        (select jsonb_object_agg(key, value) from jsonb_each(e.metadata) where key = any(${anonymousMetadataKeys})),
        '{}'::jsonb)
    from email_queues q
    where q.sequence_contact_id in (select id from sequence_contacts where contact_id = ${id})
      and e.email_queue_id = q.id
    returning e.id
  `.execute(trx);
  await trx
    .deleteFrom('idempotency_keys')
    .where(sql<boolean>`position(lower(${contact.email}) in lower(response::text)) > 0`)
    .execute();
  // What the inbox reader recorded of the contact's mail (their replies' senders and subjects) goes too.
  const inbound = await trx
    .deleteFrom('inbound_messages')
    .where((eb) =>
      eb.or([
        eb('contact_id', '=', id),
        eb(sql`lower(from_address)`, '=', contact.email.toLowerCase()),
        eb(sql`lower(recipient)`, '=', contact.email.toLowerCase()),
      ]),
    )
    .executeTakeFirst();
  await trx.deleteFrom('contacts').where('id', '=', id).execute();
  return {
    cancelled_emails: cancelledEmails,
    events_kept: kept.length,
    inbound_messages_deleted: Number(inbound.numDeletedRows),
  };
}
