import { sql } from 'kysely';
import type { Database } from '@outflow/db';

export interface ImapSettingsRow {
  host: string;
  port: number;
  tls: boolean;
  username: string;
  sent_folder: string | null;
  /** undefined keeps the stored password. */
  encrypted_password?: string | null;
  password_key_id?: string | null;
}

/**
 * Saves a mailbox's IMAP settings (replacing any). New settings restart the reader's follower (updated_at); the
 * checkpoint is kept when the account stays the same, else the new account is read from now on.
 */
export async function saveImapSettings(db: Database, mailboxId: string, settings: ImapSettingsRow): Promise<void> {
  const sameAccount = sql`(mailbox_imap.host, mailbox_imap.port, mailbox_imap.username)
    = (excluded.host, excluded.port, excluded.username)`;
  await db
    .insertInto('mailbox_imap')
    .values({ mailbox_id: mailboxId, ...settings })
    .onConflict((conflict) =>
      conflict.column('mailbox_id').doUpdateSet((eb) => ({
        host: eb.ref('excluded.host'),
        port: eb.ref('excluded.port'),
        tls: eb.ref('excluded.tls'),
        username: eb.ref('excluded.username'),
        sent_folder: eb.ref('excluded.sent_folder'),
        ...(settings.encrypted_password === undefined
          ? {}
          : {
              encrypted_password: eb.ref('excluded.encrypted_password'),
              password_key_id: eb.ref('excluded.password_key_id'),
            }),
        inbox_uidvalidity: sql`case when ${sameAccount} then mailbox_imap.inbox_uidvalidity end`,
        inbox_last_uid: sql`case when ${sameAccount} then mailbox_imap.inbox_last_uid end`,
        last_checked_at: sql`case when ${sameAccount} then mailbox_imap.last_checked_at else now() end`,
        last_error: null,
        last_error_at: null,
        updated_at: sql`now()`,
      })),
    )
    .execute();
}

export async function findImapSettings(db: Database, mailboxId: string) {
  return db
    .selectFrom('mailbox_imap')
    .select([
      'mailbox_id',
      'host',
      'port',
      'tls',
      'username',
      'sent_folder',
      sql<boolean>`encrypted_password is not null`.as('has_password'),
      'last_checked_at',
      sql<string | null>`inbox_last_uid::text`.as('last_uid'),
      'last_error',
      'last_error_at',
      'created_at',
      'updated_at',
    ])
    .where('mailbox_id', '=', mailboxId)
    .executeTakeFirst();
}

export async function deleteImapSettings(db: Database, mailboxId: string): Promise<boolean> {
  const deleted = await db.deleteFrom('mailbox_imap').where('mailbox_id', '=', mailboxId).executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}
