import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../create-db.js';

/**
 * One mailbox, a one-step sequence, one enrolled contact and its scheduled email: the smallest consistent
 * state for tests that start from a stored email.
 */
export async function seedEnrolledEmail(db: Database, contactEmail = `c-${randomUUID()}@example.com`) {
  const mailbox = await db
    .insertInto('mailboxes')
    .values({ email: `m-${randomUUID()}@outflow.test`, smtp_host: '127.0.0.1', smtp_port: 2525 })
    .returningAll()
    .executeTakeFirstOrThrow();
  const sequence = await db.insertInto('sequences').values({ name: 'Seeded' }).returningAll().executeTakeFirstOrThrow();
  const step = await db
    .insertInto('steps')
    .values({ sequence_id: sequence.id, step_order: 1, subject: 'Hi', content: 'Hello', wait_days: 0 })
    .returningAll()
    .executeTakeFirstOrThrow();
  const contact = await db
    .insertInto('contacts')
    .values({ email: contactEmail })
    .returningAll()
    .executeTakeFirstOrThrow();
  const enrollment = await db
    .insertInto('sequence_contacts')
    .values({ sequence_id: sequence.id, contact_id: contact.id, mailbox_id: mailbox.id })
    .returningAll()
    .executeTakeFirstOrThrow();
  const email = await db
    .insertInto('email_queues')
    .values({
      sequence_contact_id: enrollment.id,
      sequence_id: sequence.id,
      step_id: step.id,
      step_order: 1,
      contact_id: contact.id,
      mailbox_id: mailbox.id,
      scheduled_for: new Date(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { mailbox, sequence, step, contact, enrollment, email };
}

/**
 * `count` more contacts enrolled in a seeded sequence on its mailbox, each with its step 1 email scheduled at
 * now() + `dueIn` (a PostgreSQL interval, e.g. '-1 second'): many due emails in one statement, one per contact
 * and enrollment, as the schema wants.
 */
export async function seedMoreEnrolledEmails(
  db: Database,
  seeded: { sequence: { id: string }; step: { id: string }; mailbox: { id: string } },
  count: number,
  dueIn: string,
): Promise<void> {
  await sql`
    with contact as (
      insert into contacts (email)
      select 'c-' || gen_random_uuid() || '@example.com' from generate_series(1, ${count})
      returning id
    ), enrollment as (
      insert into sequence_contacts (sequence_id, contact_id, mailbox_id)
      select ${seeded.sequence.id}, id, ${seeded.mailbox.id} from contact
      returning id, contact_id
    )
    insert into email_queues (sequence_contact_id, sequence_id, step_id, step_order, contact_id, mailbox_id, scheduled_for)
    select id, ${seeded.sequence.id}, ${seeded.step.id}, 1, contact_id, ${seeded.mailbox.id}, now() + ${dueIn}::interval
    from enrollment
  `.execute(db);
}

/**
 * A seeded email given up on, as the retry consumer leaves one: `permanent_failure` with its last error, its
 * enrollment bounced.
 */
export async function seedFailedEmail(db: Database, contactEmail?: string) {
  const seeded = await seedEnrolledEmail(db, contactEmail);
  await db
    .updateTable('email_queues')
    .set({
      status: 'permanent_failure',
      retry_count: 3,
      attempts: 4,
      failure_kind: 'permanent',
      error_code: '550',
      error_message: 'no such user',
    })
    .where('id', '=', seeded.email.id)
    .execute();
  await db.updateTable('sequence_contacts').set({ status: 'bounced' }).where('id', '=', seeded.enrollment.id).execute();
  return seeded;
}
