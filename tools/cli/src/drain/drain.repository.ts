import { sql } from 'kysely';
import type { Database } from '@outflow/db';

export interface MailboxRow {
  id: string;
  email: string;
  status: string;
}

/** A mailbox by its id or its address (any case); more than one address match (several workspaces) is ambiguous. */
export async function findMailboxes(db: Database, idOrAddress: string): Promise<MailboxRow[]> {
  const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrAddress);
  const { rows } = await sql<MailboxRow>`
    select id, email, status::text as status from mailboxes
    where ${isId ? sql`id = ${idOrAddress}::uuid` : sql`lower(email) = lower(${idOrAddress})`}
    order by id
  `.execute(db);
  return rows;
}

/** The addresses of these mailboxes, for the report. */
export async function mailboxAddresses(db: Database, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<{ id: string; email: string }>`
    select id, email from mailboxes where id = any(${ids}::uuid[])
  `.execute(db);
  return new Map(rows.map((row) => [row.id, row.email]));
}

/**
 * What is due and not claimed (of one mailbox or all), and what is claimed and not yet settled: after a drain, the
 * first is what capacity, a pause or the queue cap held back; the second is what the cap is measured against.
 */
export async function readBacklog(
  db: Database,
  mailboxId: string | undefined,
): Promise<{ due: number; inFlight: number }> {
  const mailbox = mailboxId === undefined ? sql`` : sql`and mailbox_id = ${mailboxId}::uuid`;
  const { rows } = await sql<{ due: number; in_flight: number }>`
    select
      (select count(*)::int from email_queues where status = 'scheduled' and scheduled_for <= now() ${mailbox}) as due,
      (select count(*)::int from email_queues where status in ('queued', 'sending')) as in_flight
  `.execute(db);
  return { due: rows[0]!.due, inFlight: rows[0]!.in_flight };
}
