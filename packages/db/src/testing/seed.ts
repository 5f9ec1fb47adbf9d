import { randomUUID } from 'node:crypto';
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
