import { sql } from 'kysely';
import type { Database, SuppressionReason } from '@outflow/db';

/** A workspace's suppressions in id (time) order, by the start of the address and the reason. */
export async function listSuppressions(
  db: Database,
  filter: {
    q?: string | undefined;
    reason?: SuppressionReason | undefined;
    limit: number;
    cursor?: string | undefined;
  },
) {
  let query = db
    .selectFrom('suppressions')
    .select(['id', 'email', 'reason', 'note', 'created_at'])
    .orderBy('id')
    .limit(filter.limit + 1);
  if (filter.q) {
    const prefix = filter.q.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`);
    query = query.where(sql`lower(email)`, 'like', `${prefix}%`);
  }
  if (filter.reason) query = query.where('reason', '=', filter.reason);
  if (filter.cursor) query = query.where('id', '>', filter.cursor);
  const rows = await query.execute();
  const suppressions = rows.slice(0, filter.limit);
  return { suppressions, next_cursor: rows.length > filter.limit ? suppressions.at(-1)!.id : null };
}
