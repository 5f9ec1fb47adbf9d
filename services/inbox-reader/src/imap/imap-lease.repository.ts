import { sql } from 'kysely';
import type { Database } from '@outflow/db';

/** A mailbox this replica follows: its IMAP settings and where its INBOX was left. */
export interface LeasedMailbox {
  mailbox_id: string;
  workspace_id: string;
  mailbox_email: string;
  host: string;
  port: number;
  tls: boolean;
  username: string;
  encrypted_password: string | null;
  password_key_id: string | null;
  sent_folder: string | null;
  /** bigint columns arrive as text. */
  inbox_uidvalidity: string | null;
  inbox_last_uid: string | null;
  last_checked_at: Date | null;
  created_at: Date;
  /** Changes with the settings: a follower whose mailbox changed starts again with the new ones. */
  updated_at: Date;
}

/**
 * Takes (or keeps) up to `max` mailboxes to follow: those this replica holds, then those nobody holds or whose
 * holder let the lease expire, skipping rows another replica is taking at the same moment. Renewing is taking
 * again, so one statement runs every third of the lease. Disabled and deleted mailboxes are not followed; paused
 * ones are (a reply still stops the contact).
 */
export async function leaseMailboxes(
  db: Database,
  lease: { owner: string; leaseMs: number; max: number },
): Promise<LeasedMailbox[]> {
  const { rows } = await sql<LeasedMailbox>`
    with candidate as (
      select i.mailbox_id from mailbox_imap i
      join mailboxes m on m.id = i.mailbox_id
      where m.deleted_at is null and m.status <> 'disabled'
        and (i.lease_owner = ${lease.owner} or i.lease_expires_at is null or i.lease_expires_at < now())
      order by i.lease_owner is not distinct from ${lease.owner} desc, i.mailbox_id
      limit ${lease.max}
      for update of i skip locked
    )
    update mailbox_imap i
    set lease_owner = ${lease.owner}, lease_expires_at = now() + make_interval(secs => ${lease.leaseMs / 1000})
    from candidate c, mailboxes m
    where i.mailbox_id = c.mailbox_id and m.id = i.mailbox_id
    returning i.mailbox_id, i.workspace_id, m.email as mailbox_email, i.host, i.port, i.tls, i.username,
      i.encrypted_password, i.password_key_id, i.sent_folder, i.inbox_uidvalidity::text, i.inbox_last_uid::text,
      i.last_checked_at, i.created_at, i.updated_at
  `.execute(db);
  return rows;
}

/** Lets go of mailboxes at shutdown, so another replica takes them at its next renewal instead of after expiry. */
export async function releaseMailboxes(db: Database, owner: string, mailboxIds: readonly string[]): Promise<void> {
  if (mailboxIds.length === 0) return;
  await db
    .updateTable('mailbox_imap')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('mailbox_id', 'in', mailboxIds)
    .where('lease_owner', '=', owner)
    .execute();
}

/** The mailbox's lease went to another replica: whatever this one was recording is rolled back. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  readonly retryable = false;
}

/**
 * Moves the INBOX checkpoint in the caller's transaction, only while this replica holds the mailbox (else throws
 * LeaseLostError, rolling back what the transaction recorded). It locks the row, so two replicas that both think
 * they hold the mailbox record one after the other, and the second finds the lease gone.
 */
export async function moveCheckpoint(
  db: Database,
  checkpoint: { mailboxId: string; owner: string; uidvalidity: bigint; lastUid: bigint },
): Promise<void> {
  const moved = await db
    .updateTable('mailbox_imap')
    .set({
      inbox_uidvalidity: checkpoint.uidvalidity.toString(),
      // Never backwards: a message recorded earlier under this UIDVALIDITY stays recorded.
      inbox_last_uid: sql`case when inbox_uidvalidity = ${checkpoint.uidvalidity.toString()}::bigint
        then greatest(coalesce(inbox_last_uid, 0), ${checkpoint.lastUid.toString()}::bigint)
        else ${checkpoint.lastUid.toString()}::bigint end`,
      last_checked_at: sql`now()`,
      last_error: null,
      last_error_at: null,
    })
    .where('mailbox_id', '=', checkpoint.mailboxId)
    .where('lease_owner', '=', checkpoint.owner)
    .executeTakeFirst();
  if (moved.numUpdatedRows === 0n) throw new LeaseLostError(`mailbox ${checkpoint.mailboxId} is no longer ours`);
}

/** Shown by the API beside the mailbox: why its INBOX is not being read (wrong password, server down). */
export async function recordReadError(db: Database, mailboxId: string, owner: string, message: string): Promise<void> {
  await db
    .updateTable('mailbox_imap')
    .set({ last_error: message.slice(0, 1_000), last_error_at: sql`now()` })
    .where('mailbox_id', '=', mailboxId)
    .where('lease_owner', '=', owner)
    .execute();
}
