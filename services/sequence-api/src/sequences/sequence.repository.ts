import { sql, type Transaction } from 'kysely';
import type { Database, DB, DeliveryStatus, SequenceStatus } from '@outflow/db';
import { deliveryStatuses } from '../emails/email-status.js';
import { enrollmentStatuses } from '../enrollments/enrollment-status.js';
import type { z } from '@outflow/config';
import type { createSequenceSchema } from './sequence.schema.js';

export type NewSequence = z.infer<typeof createSequenceSchema>;

/** The ids among `ids` that name no mailbox. */
export async function findUnknownMailboxIds(db: Database, ids: string[]): Promise<string[]> {
  const found = await db
    .selectFrom('mailboxes')
    .select('id')
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null)
    .execute();
  const known = new Set(found.map((row) => row.id));
  return ids.filter((id) => !known.has(id));
}

/** A version's steps, numbered from 1 in the given order. */
export async function insertSteps(
  trx: Transaction<DB>,
  sequenceId: string,
  version: number,
  steps: ReadonlyArray<Pick<NewSequence['steps'][number], 'subject' | 'content' | 'content_format' | 'wait_days'>>,
): Promise<void> {
  await trx
    .insertInto('steps')
    .values(
      steps.map((step, index) => ({
        sequence_id: sequenceId,
        version,
        step_order: index + 1,
        subject: step.subject,
        content: step.content,
        content_format: step.content_format,
        wait_days: step.wait_days,
      })),
    )
    .execute();
}

/** The sequence (its version 1, made by the insert's trigger), its steps and its mailboxes, in one transaction. */
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
      reply_stops: sequence.reply_stops,
      time_zone: sequence.time_zone,
      wait_unit: sequence.wait_unit,
      ...sendWindowColumns(sequence.send_window),
    })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
  await insertSteps(trx, created.id, 1, sequence.steps);
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
    .select([
      'id',
      'name',
      'status',
      'current_version as version',
      'open_tracking_enabled',
      'click_tracking_enabled',
      'reply_stops',
      'time_zone',
      'send_days',
      'send_from',
      'send_to',
      'wait_unit',
      'created_at',
      'updated_at',
    ])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!sequence) return undefined;
  const [steps, mailboxes, enrollmentCounts, emailCounts] = await Promise.all([
    db
      .selectFrom('steps')
      .select(['id', 'step_order', 'subject', 'content', 'content_format', 'wait_days'])
      .where('sequence_id', '=', id)
      .where('version', '=', sequence.version)
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
      .selectFrom('email_queues as e')
      .select([
        sql<DeliveryStatus>`email_delivery_status(e.status, e.retry_count, e.dead_lettered_at)`.as('status'),
        sql<number>`count(*)::int`.as('n'),
      ])
      .where('e.sequence_id', '=', id)
      .groupBy(sql`1`)
      .execute(),
  ]);
  const countsOf = <Status extends string>(statuses: readonly Status[], rows: Array<{ status: string; n: number }>) =>
    Object.fromEntries(statuses.map((status) => [status, rows.find((row) => row.status === status)?.n ?? 0])) as Record<
      Status,
      number
    >;
  const enrollments = countsOf(enrollmentStatuses, enrollmentCounts);
  return {
    ...withSendWindow(sequence),
    step_count: steps.length,
    steps,
    mailboxes,
    counts: {
      enrollments: { total: Object.values<number>(enrollments).reduce((sum, n) => sum + n, 0), ...enrollments },
      emails: countsOf(deliveryStatuses, emailCounts),
    },
  };
}

export interface SendWindow {
  days: number[];
  from: string;
  to: string;
}

/** The window as stored: ISO days and local times (null for none). */
export function sendWindowColumns(window: SendWindow | null | undefined) {
  if (window === undefined) return {};
  return window === null
    ? { send_days: null, send_from: null, send_to: null }
    : { send_days: [...window.days].sort(), send_from: window.from, send_to: window.to };
}

/** A row's window as the API shows it, in place of its three columns. */
function withSendWindow<Row extends { send_days: number[] | null; send_from: string | null; send_to: string | null }>(
  row: Row,
): Omit<Row, 'send_days' | 'send_from' | 'send_to'> & { send_window: SendWindow | null } {
  const { send_days, send_from, send_to, ...rest } = row;
  return {
    ...rest,
    send_window:
      send_days && send_from && send_to
        ? { days: send_days, from: send_from.slice(0, 5), to: send_to.slice(0, 5) }
        : null,
  };
}

/** Sequences oldest first (ids are time-ordered), with their step counts. */
export async function listSequences(
  db: Database,
  filter: { status?: SequenceStatus | undefined; limit: number; cursor?: string | undefined },
) {
  let query = db
    .selectFrom('sequences as s')
    .select([
      's.id',
      's.name',
      's.status',
      's.current_version as version',
      's.open_tracking_enabled',
      's.click_tracking_enabled',
      's.reply_stops',
      's.time_zone',
      's.send_days',
      's.send_from',
      's.send_to',
      's.wait_unit',
      (eb) =>
        eb
          .selectFrom('steps as st')
          .select(sql<number>`count(*)::int`.as('n'))
          .whereRef('st.sequence_id', '=', 's.id')
          .whereRef('st.version', '=', 's.current_version')
          .as('step_count'),
      's.created_at',
      's.updated_at',
    ])
    .orderBy('s.id')
    .limit(filter.limit + 1);
  if (filter.status) query = query.where('s.status', '=', filter.status);
  if (filter.cursor) query = query.where('s.id', '>', filter.cursor);
  const rows = await query.execute();
  const sequences = rows
    .slice(0, filter.limit)
    .map((row) => ({ ...withSendWindow(row), step_count: row.step_count ?? 0 }));
  return { sequences, next_cursor: rows.length > filter.limit ? sequences.at(-1)!.id : null };
}

/** Pause or resume (a resumed archived sequence is active again). */
export async function setSequenceStatus(db: Database, id: string, status: 'active' | 'paused'): Promise<boolean> {
  const result = await db.updateTable('sequences').set({ status }).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
