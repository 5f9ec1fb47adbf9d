import { sql, type Transaction } from 'kysely';
import { cancelUnsentEmails, waitEnd, windowOpening, type Database, type DB } from '@outflow/db';
import type { TraceCarrier } from '@outflow/telemetry';
import { ApiError, notFound } from '../http/api-error.js';
import { conflictingValues, type ContactValues } from './contact-merge.js';
import type { ContactInput } from './enrollment.schema.js';

export interface EnrollResult {
  contacts_added: number;
  skipped: Array<{ email: string; reason: string }>;
  /** Known contacts whose stored values were kept over different given ones (see contact-merge.ts). */
  not_updated: Array<{ email: string; fields: string[] }>;
  enrollments: Array<{ contact_id: string; email: string; sequence_contact_id: string; mailbox_id: string }>;
}

/**
 * Enrolls contacts within the caller's transaction (the request's, in its workspace): creates each new contact
 * and merges known ones by the rule in contact-merge.ts, skips those already enrolled (never
 * enrolled twice) or bounced/unsubscribed, assigns each new enrollment a mailbox by rotation over the sequence's
 * active mailboxes, and schedules step 1 after its wait. The sequence row is locked for the duration, so
 * concurrent requests for one sequence rotate mailboxes correctly and cannot enroll a contact twice.
 */
export async function enrollContacts(
  trx: Transaction<DB>,
  sequenceId: string,
  contacts: ContactInput[],
  options: {
    daySeconds: number;
    updateContacts: boolean;
    /** Starts each new enrollment's trace, kept with its email: the claim, send and follow-ups continue it. */
    traceFor: (enrollment: { id: string; contact_id: string }) => TraceCarrier | null;
  },
): Promise<EnrollResult> {
  const { daySeconds, updateContacts } = options;
  const sequence = await trx
    .selectFrom('sequences')
    .select(['id', 'status', 'mailbox_rotation', 'current_version'])
    .where('id', '=', sequenceId)
    .forUpdate()
    .executeTakeFirst();
  if (!sequence) throw notFound('sequence', sequenceId);
  if (sequence.status !== 'active') {
    throw new ApiError(
      409,
      'sequence_not_active',
      sequence.status === 'archived'
        ? `sequence ${sequenceId} is archived; it takes no new contacts`
        : `sequence ${sequenceId} is ${sequence.status}; resume it to enroll contacts`,
    );
  }
  const mailboxes = await trx
    .selectFrom('sequence_mailboxes as sm')
    .innerJoin('mailboxes as m', 'm.id', 'sm.mailbox_id')
    .select('m.id')
    .where('sm.sequence_id', '=', sequenceId)
    .where('m.status', '=', 'active')
    .orderBy('sm.position')
    .execute();
  if (mailboxes.length === 0) {
    throw new ApiError(409, 'no_active_mailbox', `sequence ${sequenceId} has no active mailbox to send from`);
  }
  const firstStep = await trx
    .selectFrom('steps')
    .select(['id', 'step_order', 'wait_days'])
    .where('sequence_id', '=', sequenceId)
    .where('version', '=', sequence.current_version)
    .orderBy('step_order')
    .limit(1)
    .executeTakeFirstOrThrow();

  const skipped: EnrollResult['skipped'] = [];
  const unique = new Map<string, ContactInput>();
  for (const contact of contacts) {
    const key = contact.email.toLowerCase();
    if (unique.has(key)) skipped.push({ email: contact.email, reason: 'duplicate in this request' });
    else unique.set(key, contact);
  }
  // Sorted by key so concurrent upserts of overlapping contact lists lock rows in one order (no deadlock).
  const ordered = [...unique.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, contact]) => contact);
  const not_updated = updateContacts ? [] : await valuesKeptOver(trx, ordered);
  const upserted = await trx
    .insertInto('contacts')
    .values(
      ordered.map((contact) => ({
        email: contact.email,
        first_name: contact.first_name ?? null,
        last_name: contact.last_name ?? null,
        company: contact.company ?? null,
        time_zone: contact.time_zone ?? null,
        fields: JSON.stringify(contact.fields ?? {}),
      })),
    )
    .onConflict((conflict) =>
      conflict.expression(sql`workspace_id, lower(email)`).doUpdateSet(
        updateContacts
          ? {
              first_name: sql`coalesce(excluded.first_name, contacts.first_name)`,
              last_name: sql`coalesce(excluded.last_name, contacts.last_name)`,
              company: sql`coalesce(excluded.company, contacts.company)`,
              time_zone: sql`coalesce(excluded.time_zone, contacts.time_zone)`,
              fields: sql`contacts.fields || excluded.fields`,
            }
          : {
              first_name: sql`coalesce(contacts.first_name, excluded.first_name)`,
              last_name: sql`coalesce(contacts.last_name, excluded.last_name)`,
              company: sql`coalesce(contacts.company, excluded.company)`,
              time_zone: sql`coalesce(contacts.time_zone, excluded.time_zone)`,
              fields: sql`excluded.fields || contacts.fields`,
            },
      ),
    )
    .returning(['id', 'email', 'status'])
    .execute();

  const enrolled = new Set(
    (
      await trx
        .selectFrom('sequence_contacts')
        .select('contact_id')
        .where('sequence_id', '=', sequenceId)
        .where(
          'contact_id',
          'in',
          upserted.map((contact) => contact.id),
        )
        .execute()
    ).map((row) => row.contact_id),
  );
  // The workspace's suppression list: an address on it is never enrolled (the sender checks again before SMTP).
  const suppressed = new Map(
    (
      await trx
        .selectFrom('suppressions')
        .select(['email', 'reason'])
        .where(
          sql`lower(email)`,
          'in',
          upserted.map((contact) => contact.email.toLowerCase()),
        )
        .execute()
    ).map((row) => [row.email.toLowerCase(), row.reason]),
  );
  const toEnroll = upserted.filter((contact) => {
    const suppression = suppressed.get(contact.email.toLowerCase());
    if (enrolled.has(contact.id)) skipped.push({ email: contact.email, reason: 'already enrolled in this sequence' });
    else if (suppression) skipped.push({ email: contact.email, reason: `suppressed (${suppression})` });
    else if (contact.status !== 'active')
      skipped.push({ email: contact.email, reason: `contact is ${contact.status}` });
    else return true;
    return false;
  });
  if (toEnroll.length === 0) return { contacts_added: 0, skipped, not_updated, enrollments: [] };

  const enrollments = await trx
    .insertInto('sequence_contacts')
    .values(
      toEnroll.map((contact, index) => ({
        sequence_id: sequenceId,
        contact_id: contact.id,
        // New enrollments follow the current version until moved (POST /sequences/{id}/move-enrollments).
        sequence_version: sequence.current_version,
        mailbox_id: mailboxes[(sequence.mailbox_rotation + index) % mailboxes.length]!.id,
      })),
    )
    .returning(['id', 'contact_id', 'mailbox_id'])
    .execute();
  await trx
    .insertInto('email_queues')
    .values(
      enrollments.map((enrollment) => ({
        sequence_contact_id: enrollment.id,
        sequence_id: sequenceId,
        step_id: firstStep.id,
        step_order: firstStep.step_order,
        contact_id: enrollment.contact_id,
        mailbox_id: enrollment.mailbox_id,
        // The first step's wait from now, then the sequence's send window in the contact's time zone.
        scheduled_for: sql`(select ${windowOpening(waitEnd(sql`now()`, firstStep.wait_days, daySeconds))}
          from sequences s, contacts c where s.id = ${sequenceId} and c.id = ${enrollment.contact_id})`,
        trace_context: options.traceFor(enrollment),
      })),
    )
    .execute();
  await trx
    .updateTable('sequences')
    .set({ mailbox_rotation: sequence.mailbox_rotation + enrollments.length })
    .where('id', '=', sequenceId)
    .execute();
  const emailById = new Map(toEnroll.map((contact) => [contact.id, contact.email]));
  return {
    contacts_added: enrollments.length,
    skipped,
    not_updated,
    enrollments: enrollments.map((enrollment) => ({
      contact_id: enrollment.contact_id,
      email: emailById.get(enrollment.contact_id)!,
      sequence_contact_id: enrollment.id,
      mailbox_id: enrollment.mailbox_id,
    })),
  };
}

/**
 * The given values that known contacts' stored ones will win over (contact-merge.ts), reading those contacts
 * locked in the order of `ordered` (the upsert's order, so concurrent requests cannot deadlock).
 */
async function valuesKeptOver(trx: Transaction<DB>, ordered: ContactInput[]): Promise<EnrollResult['not_updated']> {
  const stored = await trx
    .selectFrom('contacts')
    .select(['email', 'first_name', 'last_name', 'company', 'time_zone', 'fields'])
    .where(
      sql`lower(email)`,
      'in',
      ordered.map((contact) => contact.email.toLowerCase()),
    )
    .orderBy(sql`lower(email)`)
    .forUpdate()
    .execute();
  const storedByEmail = new Map(stored.map((row) => [row.email.toLowerCase(), row]));
  return ordered.flatMap((contact) => {
    const known = storedByEmail.get(contact.email.toLowerCase());
    const fields = known ? conflictingValues(known as ContactValues, contact) : [];
    return fields.length > 0 ? [{ email: contact.email, fields }] : [];
  });
}

/** The sequence's enrollments, a page at a time; undefined when there is no such sequence. */
export async function listEnrollments(
  db: Database,
  sequenceId: string,
  page: { limit: number; cursor?: string | undefined },
) {
  const exists = await db.selectFrom('sequences').select('id').where('id', '=', sequenceId).executeTakeFirst();
  if (!exists) return undefined;
  let query = db
    .selectFrom('sequence_contacts as sc')
    .innerJoin('contacts as c', 'c.id', 'sc.contact_id')
    .select([
      'sc.id as sequence_contact_id',
      'c.id as contact_id',
      'c.email',
      'c.first_name',
      'c.last_name',
      'sc.status',
      'sc.current_step',
      'sc.mailbox_id',
      'sc.enrolled_at',
      'sc.completed_at',
      (eb) =>
        eb
          .selectFrom('email_queues as e')
          .select(sql<Date>`min(e.scheduled_for)`.as('next'))
          .whereRef('e.sequence_contact_id', '=', 'sc.id')
          .where('e.status', 'in', ['scheduled', 'queued', 'retry_pending'])
          .as('next_send_at'),
    ])
    .where('sc.sequence_id', '=', sequenceId)
    .orderBy('sc.id')
    .limit(page.limit + 1);
  if (page.cursor) query = query.where('sc.id', '>', page.cursor);
  const rows = await query.execute();
  const more = rows.length > page.limit;
  const contacts = rows.slice(0, page.limit);
  return { contacts, next_cursor: more ? contacts.at(-1)!.sequence_contact_id : null };
}

/**
 * Unenrolls a contact: the enrollment is cancelled and every email not yet handed to SMTP is cancelled with it
 * (a claimed one gives its capacity reservation back). Returns undefined when the contact is not enrolled.
 */
export async function unenrollContact(trx: Transaction<DB>, sequenceId: string, contactId: string) {
  const enrollment = await trx
    .selectFrom('sequence_contacts')
    .select(['id', 'status'])
    .where('sequence_id', '=', sequenceId)
    .where('contact_id', '=', contactId)
    .forUpdate()
    .executeTakeFirst();
  if (!enrollment) return undefined;
  if (enrollment.status === 'active') {
    await trx.updateTable('sequence_contacts').set({ status: 'cancelled' }).where('id', '=', enrollment.id).execute();
  }
  const cancelled = await cancelUnsentEmails(trx, { sequenceContactId: enrollment.id });
  return {
    status: enrollment.status === 'active' ? 'cancelled' : enrollment.status,
    cancelled_emails: cancelled,
  };
}
