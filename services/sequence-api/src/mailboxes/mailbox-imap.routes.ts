import { imapPasswordBinding, type SecretBox } from '@outflow/config';
import type { Database } from '@outflow/db';
import {
  imapTargetPolicy,
  resolveSmtpTarget,
  SmtpTargetRefusedError,
  type SmtpTargetPolicy,
} from '@outflow/smtp-target';
import { ApiError, notFound } from '../http/api-error.js';
import { defineRoute, type Route } from '../http/route.js';
import { idParams } from '../http/schemas.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { deleteImapSettings, findImapSettings, saveImapSettings } from './mailbox-imap.repository.js';
import { deletedImapSettings, imapSettingsSchema, imapSettingsView } from './mailbox-imap.schema.js';

type ImapSettingsView = NonNullable<Awaited<ReturnType<typeof findImapSettings>>>;

function present(settings: ImapSettingsView) {
  const { last_checked_at, last_uid, last_error, last_error_at, ...rest } = settings;
  return { ...rest, reader: { last_checked_at, last_uid, last_error, last_error_at } };
}

/** The IMAP server is user input, as the SMTP one is: the installation's networks, on IMAP's ports. */
async function refuseForbiddenTarget(policy: SmtpTargetPolicy, host: string, port: number): Promise<void> {
  try {
    await resolveSmtpTarget(host, port, imapTargetPolicy(policy));
  } catch (error) {
    if (!(error instanceof SmtpTargetRefusedError)) throw error;
    const message = error.reason === 'port' ? `port ${port} is not an IMAP port (143 or 993)` : error.message;
    throw new ApiError(400, 'invalid_request', 'this IMAP server is not allowed', [
      { path: error.reason === 'port' ? 'port' : 'host', message },
    ]);
  }
}

/** A mailbox's inbox: where the inbox reader finds replies, bounces and the Sent folder's copies. */
export function mailboxImapRoutes(deps: { db: Database; secrets: SecretBox; smtpTargets: SmtpTargetPolicy }): Route[] {
  return [
    defineRoute({
      method: 'put',
      path: '/mailboxes/{id}/imap',
      tag: 'Mailboxes',
      summary: "Set the mailbox's IMAP account",
      description:
        'The inbox reader follows its INBOX from now on: a reply stops the contact (the sequence’s `reply_stops`), ' +
        'a hard bounce suppresses the address, and an uncertain send found in the Sent folder counts as sent. ' +
        'Replaces earlier settings; a password left out is kept. A new account is read from now on.',
      params: idParams,
      body: imapSettingsSchema,
      idempotent: true,
      responses: { 200: { description: 'The IMAP settings', schema: imapSettingsView } },
      errors: [404],
      async handle({ params: { id }, body: { password, ...settings } }, res) {
        await refuseForbiddenTarget(deps.smtpTargets, settings.host, settings.port);
        const sealed =
          password === undefined
            ? {}
            : password === ''
              ? { encrypted_password: null, password_key_id: null }
              : (({ ciphertext, keyId }) => ({ encrypted_password: ciphertext, password_key_id: keyId }))(
                  deps.secrets.encrypt(password, imapPasswordBinding(id)),
                );
        const saved = await inRequestWorkspace(deps.db, res, async (trx) => {
          const mailbox = await trx
            .selectFrom('mailboxes')
            .select('id')
            .where('id', '=', id)
            .where('deleted_at', 'is', null)
            .executeTakeFirst();
          if (!mailbox) return undefined;
          await saveImapSettings(trx, id, { ...settings, sent_folder: settings.sent_folder ?? null, ...sealed });
          return findImapSettings(trx, id);
        });
        if (!saved) throw notFound('mailbox', id);
        res.json(present(saved));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/mailboxes/{id}/imap',
      tag: 'Mailboxes',
      summary: "Get the mailbox's IMAP account and the reader's progress",
      params: idParams,
      responses: { 200: { description: 'The IMAP settings', schema: imapSettingsView } },
      errors: [404],
      async handle({ params: { id } }, res) {
        const settings = await inRequestWorkspace(deps.db, res, (trx) => findImapSettings(trx, id));
        if (!settings) throw notFound('IMAP settings of mailbox', id);
        res.json(present(settings));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/mailboxes/{id}/imap',
      tag: 'Mailboxes',
      summary: 'Stop reading the mailbox’s inbox',
      description: 'The IMAP settings and the password are deleted; what was read stays in the history.',
      params: idParams,
      responses: { 200: { description: 'Deleted', schema: deletedImapSettings } },
      errors: [404],
      async handle({ params: { id } }, res) {
        if (!(await inRequestWorkspace(deps.db, res, (trx) => deleteImapSettings(trx, id)))) {
          throw notFound('IMAP settings of mailbox', id);
        }
        res.json({ mailbox_id: id, deleted: true });
      },
    }),
  ];
}
