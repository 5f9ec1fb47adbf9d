import { sql } from 'kysely';
import type { ImapFlow } from 'imapflow';
import type { Database } from '@outflow/db';
import { markUncertainSent } from '@outflow/kafka';
import type { Logger } from '@outflow/telemetry';
import type { LeasedMailbox } from '../imap/imap-lease.repository.js';

export interface SentFolderDeps {
  db: Database;
  logger: Logger;
  /** How long after it became uncertain an email is looked for. */
  lookupMs: number;
  publish: (outboxIds: string[]) => Promise<void>;
  onSettled: () => void;
}

/** The mailbox's uncertain emails still within the look-up window, by the failure index (status, updated_at). */
async function findUncertainSends(db: Database, mailboxId: string, lookupMs: number) {
  return db
    .selectFrom('email_queues')
    .select(['id', 'smtp_message_id'])
    .where('status', '=', 'uncertain')
    .where('updated_at', '>', sql<Date>`now() - make_interval(secs => ${lookupMs / 1000})`)
    .where('mailbox_id', '=', mailboxId)
    .where('smtp_message_id', 'is not', null)
    .execute();
}

/** The folder the provider keeps sent mail in: the mailbox's setting, else the one marked \Sent (RFC 6154). */
async function sentFolderOf(session: ImapFlow, mailbox: LeasedMailbox): Promise<string | undefined> {
  if (mailbox.sent_folder) return mailbox.sent_folder;
  return (await session.list()).find((folder) => folder.specialUse === '\\Sent')?.path;
}

/**
 * An email left uncertain (the sender died between the server's acceptance and its own record) was sent if the
 * provider filed a copy under its Message-ID in the Sent folder, as Gmail and most hosted mail do: it is settled
 * as sent (its follow-up scheduled). One not found within the window stays uncertain for a person to decide.
 */
export async function settleUncertainSends(
  deps: SentFolderDeps,
  session: ImapFlow,
  mailbox: LeasedMailbox,
): Promise<void> {
  const uncertain = await findUncertainSends(deps.db, mailbox.mailbox_id, deps.lookupMs);
  if (uncertain.length === 0) return;
  const folder = await sentFolderOf(session, mailbox);
  if (!folder) {
    deps.logger.warn(
      { mailboxId: mailbox.mailbox_id },
      'uncertain sends wait, but the mailbox has no Sent folder (set sent_folder)',
    );
    return;
  }
  const lock = await session.getMailboxLock(folder, { readOnly: true });
  try {
    for (const email of uncertain) {
      const messageId = email.smtp_message_id!;
      const found = (await session.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
      if (found.length === 0) continue;
      const settled = await deps.db
        .transaction()
        .execute((trx) => markUncertainSent(trx, email.id, { by: 'sent-folder', messageId }));
      if (!settled) continue;
      await deps.publish(settled.outboxIds);
      deps.onSettled();
      deps.logger.info({ emailId: email.id, folder }, 'uncertain send found in the Sent folder: settled as sent');
    }
  } finally {
    lock.release();
  }
}
