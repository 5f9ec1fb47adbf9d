import { sql, type InsertObject, type UpdateObject } from 'kysely';
import { mailboxDayCapacity, mailboxLocalDay, type Database, type DB } from '@outflow/db';

/** Columns safe to return: never the encrypted password. */
const publicColumns = [
  'm.id',
  'm.email',
  'm.display_name',
  'm.smtp_host',
  'm.smtp_port',
  'm.smtp_secure',
  'm.smtp_allow_insecure_auth',
  'm.smtp_username',
  'm.daily_capacity',
  'm.status',
  'm.time_zone',
  'm.min_gap_seconds',
  'm.gap_jitter_seconds',
  'm.warmup_start_capacity',
  'm.warmup_daily_increase',
  sql<string | null>`m.warmup_started_on::text`.as('warmup_started_on'),
  'm.created_at',
  'm.updated_at',
] as const;

export async function insertMailbox(db: Database, row: InsertObject<DB, 'mailboxes'>) {
  const { id } = await db.insertInto('mailboxes').values(row).returning('id').executeTakeFirstOrThrow();
  return (await findMailboxById(db, id, 86_400))!;
}

export async function listMailboxes(db: Database) {
  return db
    .selectFrom('mailboxes as m')
    .select([...publicColumns, sql<boolean>`m.encrypted_smtp_password is not null`.as('has_smtp_password')])
    .where('m.deleted_at', 'is', null)
    .orderBy('m.created_at')
    .execute();
}

/**
 * A mailbox with today's usage: the local day from the database clock, its capacity that day (less while it
 * warms up), sends and reservations on it, and when a running gap lets it send again.
 */
export async function findMailboxById(db: Database, id: string, daySeconds: number) {
  const today = mailboxLocalDay(sql.ref('m.time_zone'), daySeconds);
  return db
    .selectFrom('mailboxes as m')
    .leftJoin('mailbox_daily_counts as c', (join) => join.onRef('c.mailbox_id', '=', 'm.id').on('c.day', '=', today))
    .leftJoin('mailbox_pacing as p', (join) =>
      join.onRef('p.mailbox_id', '=', 'm.id').on('p.next_send_at', '>', sql<Date>`now()`),
    )
    .select([
      ...publicColumns,
      sql<boolean>`m.encrypted_smtp_password is not null`.as('has_smtp_password'),
      sql<string>`${today}::text`.as('today'),
      sql<number>`${mailboxDayCapacity('m', today)}`.as('capacity_today'),
      sql<number>`coalesce(c.sent_count, 0)`.as('sent_today'),
      sql<number>`coalesce(c.reserved_count, 0)`.as('reserved_today'),
      'p.next_send_at',
    ])
    .where('m.id', '=', id)
    .where('m.deleted_at', 'is', null)
    .executeTakeFirst();
}

export async function updateMailbox(
  db: Database,
  id: string,
  changes: UpdateObject<DB, 'mailboxes'>,
): Promise<boolean> {
  const result = await db
    .updateTable('mailboxes')
    .set(changes)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
