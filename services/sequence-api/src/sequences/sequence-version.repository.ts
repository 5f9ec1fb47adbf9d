import { sql, type Transaction } from 'kysely';
import type { Database, DB } from '@outflow/db';
import { insertSteps, type NewSequence } from './sequence.repository.js';

export interface SequenceChanges {
  name?: string | undefined;
  open_tracking_enabled?: boolean | undefined;
  click_tracking_enabled?: boolean | undefined;
  steps?: NewSequence['steps'] | undefined;
}

/**
 * Makes the sequence's next version from the current one and `changes` (steps not given are copied, as new rows),
 * and makes it current: enrollments from now on follow it. Earlier versions, their enrollments and every email
 * already scheduled keep their own step rows. Returns the new version, or undefined when there is no sequence.
 */
export async function createNextVersion(
  trx: Transaction<DB>,
  id: string,
  changes: SequenceChanges,
): Promise<number | undefined> {
  const current = await trx
    .selectFrom('sequences')
    .select(['name', 'open_tracking_enabled', 'click_tracking_enabled', 'current_version'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!current) return undefined;
  const version = current.current_version + 1;
  const next = {
    name: changes.name ?? current.name,
    open_tracking_enabled: changes.open_tracking_enabled ?? current.open_tracking_enabled,
    click_tracking_enabled: changes.click_tracking_enabled ?? current.click_tracking_enabled,
  };
  await trx
    .insertInto('sequence_versions')
    .values({ sequence_id: id, version, ...next })
    .execute();
  const steps =
    changes.steps ??
    (await trx
      .selectFrom('steps')
      .select(['subject', 'content', 'content_format', 'wait_days'])
      .where('sequence_id', '=', id)
      .where('version', '=', current.current_version)
      .orderBy('step_order')
      .execute());
  await insertSteps(trx, id, version, steps);
  await trx
    .updateTable('sequences')
    .set({ ...next, current_version: version })
    .where('id', '=', id)
    .execute();
  return version;
}

/** Every version of a sequence, newest first, with its step count and the enrollments that follow it. */
export async function listSequenceVersions(db: Database, id: string) {
  const exists = await db.selectFrom('sequences').select('current_version').where('id', '=', id).executeTakeFirst();
  if (!exists) return undefined;
  const { rows } = await sql<{
    version: number;
    name: string;
    open_tracking_enabled: boolean;
    click_tracking_enabled: boolean;
    created_at: Date;
    step_count: number;
    active: number;
    total: number;
  }>`
    select v.version, v.name, v.open_tracking_enabled, v.click_tracking_enabled, v.created_at,
      (select count(*)::int from steps s where s.sequence_id = v.sequence_id and s.version = v.version) as step_count,
      (select count(*) filter (where sc.status = 'active')::int from sequence_contacts sc
        where sc.sequence_id = v.sequence_id and sc.sequence_version = v.version) as active,
      (select count(*)::int from sequence_contacts sc
        where sc.sequence_id = v.sequence_id and sc.sequence_version = v.version) as total
    from sequence_versions v
    where v.sequence_id = ${id}
    order by v.version desc
  `.execute(db);
  return {
    current_version: exists.current_version,
    versions: rows.map(({ active, total, ...version }) => ({ ...version, enrollments: { active, total } })),
  };
}

/** One version with its steps. */
export async function findSequenceVersion(db: Database, id: string, version: number) {
  const found = await db
    .selectFrom('sequence_versions')
    .select(['version', 'name', 'open_tracking_enabled', 'click_tracking_enabled', 'created_at'])
    .where('sequence_id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!found) return undefined;
  const steps = await db
    .selectFrom('steps')
    .select(['id', 'step_order', 'subject', 'content', 'content_format', 'wait_days'])
    .where('sequence_id', '=', id)
    .where('version', '=', version)
    .orderBy('step_order')
    .execute();
  return { ...found, steps };
}

/**
 * Moves active enrollments (of version `from`, or of every other version; of `contactIds`, or all) to version `to`: their next steps are
 * that version's, by step number; an email already scheduled keeps its content. An enrollment whose version has
 * no step after the one it is on completes when that one is sent. Returns how many moved, or undefined when the
 * sequence has no version `to`.
 */
export async function moveEnrollments(
  trx: Transaction<DB>,
  id: string,
  { from, to, contactIds }: { from?: number | undefined; to: number; contactIds?: string[] | undefined },
): Promise<number | undefined> {
  const target = await trx
    .selectFrom('sequence_versions')
    .select('version')
    .where('sequence_id', '=', id)
    .where('version', '=', to)
    .executeTakeFirst();
  if (!target) return undefined;
  let update = trx
    .updateTable('sequence_contacts')
    .set({ sequence_version: to })
    .where('sequence_id', '=', id)
    .where('status', '=', 'active')
    .where('sequence_version', '<>', to);
  if (from !== undefined) update = update.where('sequence_version', '=', from);
  if (contactIds !== undefined) update = update.where('contact_id', 'in', contactIds);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
