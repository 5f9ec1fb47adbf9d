import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../create-db.js';

/** What `outflow cleanup` prunes; each keeps what the pipeline still needs, whatever its age. */
export const retentionKinds = ['audit', 'batches', 'idempotency-keys', 'daily-counts'] as const;
export type RetentionKind = (typeof retentionKinds)[number];

/**
 * The smallest UUIDv7 of a moment: its first 48 bits are the Unix time in milliseconds (uuid_v7() in the schema),
 * so `id < this` walks the primary key to the rows made before it, instead of scanning the table for a time.
 */
export function uuidV7Floor(time: Date): string {
  const hex = Math.floor(time.getTime()).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/**
 * The rows of a kind older than `cutoff` that may go:
 * - audit: the delivery audit trail (delivery_events), by time;
 * - batches: the producer's publish records (kafka_batches) once published or failed, never one in flight;
 * - idempotency-keys: stored API answers (the API forgets them after 24 h anyway);
 * - daily-counts: mailboxes' past days' counters without a reservation still open.
 */
function olderThan(kind: RetentionKind, cutoff: Date): { table: string; where: RawBuilder<unknown> } {
  switch (kind) {
    case 'audit':
      // The id range finds them on the primary key; the time decides (an id not made by uuid_v7 is kept).
      return { table: 'delivery_events', where: sql`id < ${uuidV7Floor(cutoff)}::uuid and occurred_at < ${cutoff}` };
    case 'batches':
      return { table: 'kafka_batches', where: sql`status in ('published', 'failed') and created_at < ${cutoff}` };
    case 'idempotency-keys':
      return { table: 'idempotency_keys', where: sql`created_at < ${cutoff}` };
    case 'daily-counts':
      return { table: 'mailbox_daily_counts', where: sql`day < ${cutoff}::date and reserved_count = 0` };
  }
}

export async function countPrunable(db: Database, kind: RetentionKind, cutoff: Date): Promise<number> {
  const { table, where } = olderThan(kind, cutoff);
  const { rows } = await sql<{
    count: string;
  }>`select count(*) as count from ${sql.table(table)} where ${where}`.execute(db);
  return Number(rows[0]!.count);
}

/**
 * Deletes up to `limit` prunable rows of a kind in one short statement (its own transaction, row locks only on
 * what it deletes); returns how many. Callers repeat it until it returns less than `limit`.
 */
export async function pruneSome(db: Database, kind: RetentionKind, cutoff: Date, limit: number): Promise<number> {
  const { table, where } = olderThan(kind, cutoff);
  const result = await sql`
    delete from ${sql.table(table)} where ctid = any (array(
      select ctid from ${sql.table(table)} where ${where} limit ${limit}
    ))
  `.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
