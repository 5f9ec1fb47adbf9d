import { sql, type Transaction } from 'kysely';
import type { Database, DB } from '@outflow/db';
import type { z } from '@outflow/config';
import type { createSequenceSchema } from './sequence.schema.js';

export type NewSequence = z.infer<typeof createSequenceSchema>;

/** The ids among `ids` that name no mailbox. */
export async function findUnknownMailboxIds(db: Database, ids: string[]): Promise<string[]> {
  const found = await db.selectFrom('mailboxes').select('id').where('id', 'in', ids).execute();
  const known = new Set(found.map((row) => row.id));
  return ids.filter((id) => !known.has(id));
}

/** The sequence, its steps (numbered from 1 in the given order) and its mailboxes, in one transaction. */
export async function insertSequence(
  trx: Transaction<DB>,
  sequence: NewSequence,
): Promise<{ id: string; name: string; step_count: number }> {
  const created = await trx
    .insertInto('sequences')
    .values({
      name: sequence.name,
      open_tracking_enabled: sequence.open_tracking_enabled,
      click_tracking_enabled: sequence.click_tracking_enabled,
    })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('steps')
    .values(
      sequence.steps.map((step, index) => ({
        sequence_id: created.id,
        step_order: index + 1,
        subject: step.subject,
        content: step.content,
        content_format: step.content_format,
        wait_days: step.wait_days,
      })),
    )
    .execute();
  await trx
    .insertInto('sequence_mailboxes')
    .values(
      sequence.mailbox_ids.map((mailboxId, position) => ({
        sequence_id: created.id,
        mailbox_id: mailboxId,
        position,
      })),
    )
    .execute();
  return { ...created, step_count: sequence.steps.length };
}

export async function findSequenceDetail(db: Database, id: string) {
  const sequence = await db
    .selectFrom('sequences')
    .select(['id', 'name', 'status', 'open_tracking_enabled', 'click_tracking_enabled', 'created_at', 'updated_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!sequence) return undefined;
  const [steps, mailboxes, enrollmentCounts, emailCounts] = await Promise.all([
    db
      .selectFrom('steps')
      .select(['id', 'step_order', 'subject', 'content', 'content_format', 'wait_days'])
      .where('sequence_id', '=', id)
      .orderBy('step_order')
      .execute(),
    db
      .selectFrom('sequence_mailboxes as sm')
      .innerJoin('mailboxes as m', 'm.id', 'sm.mailbox_id')
      .select(['m.id', 'm.email', 'm.status', 'm.daily_capacity'])
      .where('sm.sequence_id', '=', id)
      .orderBy('sm.position')
      .execute(),
    db
      .selectFrom('sequence_contacts')
      .select(['status', sql<number>`count(*)::int`.as('n')])
      .where('sequence_id', '=', id)
      .groupBy('status')
      .execute(),
    db
      .selectFrom('email_queues')
      .select(['status', sql<number>`count(*)::int`.as('n')])
      .where('sequence_id', '=', id)
      .groupBy('status')
      .execute(),
  ]);
  const enrollment = Object.fromEntries(enrollmentCounts.map((row) => [row.status, row.n]));
  const emails = Object.fromEntries(emailCounts.map((row) => [row.status, row.n]));
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);
  return {
    ...sequence,
    step_count: steps.length,
    steps,
    mailboxes,
    counts: {
      enrolled: total(enrollment),
      active: enrollment['active'] ?? 0,
      completed: enrollment['completed'] ?? 0,
      bounced: enrollment['bounced'] ?? 0,
      cancelled: enrollment['cancelled'] ?? 0,
      sent: emails['sent'] ?? 0,
      failed: emails['permanent_failure'] ?? 0,
      scheduled: (emails['scheduled'] ?? 0) + (emails['queued'] ?? 0) + (emails['retry_pending'] ?? 0),
      sending: emails['sending'] ?? 0,
      uncertain: emails['uncertain'] ?? 0,
    },
  };
}

export async function setSequenceStatus(db: Database, id: string, status: 'active' | 'paused'): Promise<boolean> {
  const result = await db.updateTable('sequences').set({ status }).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
