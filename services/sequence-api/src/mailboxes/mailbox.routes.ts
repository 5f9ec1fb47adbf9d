import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { smtpPasswordBinding, type OutflowMode, type SecretBox } from '@outflow/config';
import type { Database, MailboxUpdate } from '@outflow/db';
import { resolveSmtpTarget, SmtpTargetRefusedError, type SmtpTargetPolicy } from '@outflow/smtp-target';
import { ApiError, notFound } from '../http/api-error.js';
import { uuid } from '../http/schemas.js';
import { validate } from '../http/validate.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { createMailboxSchema, updateMailboxSchema } from './mailbox.schema.js';
import { findMailboxById, insertMailbox, listMailboxes, updateMailbox } from './mailbox.repository.js';

type MailboxView = NonNullable<Awaited<ReturnType<typeof findMailboxById>>>;

function present(mailbox: MailboxView) {
  const { sent_today, reserved_today, today, ...rest } = mailbox;
  const sent = Number(sent_today);
  const reserved = Number(reserved_today);
  return {
    ...rest,
    today: { day: today, sent, reserved, remaining: Math.max(mailbox.daily_capacity - sent - reserved, 0) },
  };
}

/** Credentials in clear are for local test servers: a production deployment refuses the opt-out outright. */
function refuseInsecureAuthInProduction(mode: OutflowMode | undefined, allowInsecureAuth: boolean | undefined): void {
  if (allowInsecureAuth !== true || mode === 'development') return;
  throw new ApiError(400, 'invalid_request', 'credentials are sent only over TLS', [
    {
      path: 'smtp_allow_insecure_auth',
      message:
        'may be true only when Outflow runs in development mode (OUTFLOW_MODE=development), for a local test server',
    },
  ]);
}

/**
 * The host and port must be an SMTP server the installation allows (public, on an SMTP port, or a configured
 * network), checked after DNS now; the sender checks again at every connection, as DNS can change.
 */
async function refuseForbiddenTarget(policy: SmtpTargetPolicy, host: string, port: number): Promise<void> {
  try {
    await resolveSmtpTarget(host, port, policy);
  } catch (error) {
    if (!(error instanceof SmtpTargetRefusedError)) throw error;
    throw new ApiError(400, 'invalid_request', 'this SMTP server is not allowed', [
      { path: error.reason === 'port' ? 'smtp_port' : 'smtp_host', message: error.message },
    ]);
  }
}

export function mailboxRoutes(deps: {
  db: Database;
  secrets: SecretBox;
  daySeconds: number;
  mode?: OutflowMode;
  smtpTargets: SmtpTargetPolicy;
}): Router {
  const router = Router();
  const passwordColumns = (mailboxId: string, password: string | null | undefined) => {
    if (password === undefined) return {};
    if (password === null || password === '') return { encrypted_smtp_password: null, smtp_password_key_id: null };
    const { ciphertext, keyId } = deps.secrets.encrypt(password, smtpPasswordBinding(mailboxId));
    return { encrypted_smtp_password: ciphertext, smtp_password_key_id: keyId };
  };

  router.post('/', async (req, res) => {
    const { smtp_password, ...body } = validate(createMailboxSchema, req.body);
    refuseInsecureAuthInProduction(deps.mode, body.smtp_allow_insecure_auth);
    await refuseForbiddenTarget(deps.smtpTargets, body.smtp_host, body.smtp_port);
    // The id is chosen here: the password is bound to it before the row exists.
    const mailboxId = randomUUID();
    const created = await inRequestWorkspace(deps.db, res, (db) =>
      insertMailbox(db, { id: mailboxId, ...body, ...passwordColumns(mailboxId, smtp_password) }),
    );
    const { id, email, daily_capacity, status, time_zone } = created;
    res.status(201).json({ id, email, daily_capacity, status, time_zone });
  });

  router.get('/', async (_req, res) => {
    res.json({ mailboxes: await inRequestWorkspace(deps.db, res, (db) => listMailboxes(db)) });
  });

  router.get('/:id', async (req, res) => {
    const id = validate(uuid, req.params.id, 'mailbox id');
    const mailbox = await inRequestWorkspace(deps.db, res, (db) => findMailboxById(db, id, deps.daySeconds));
    if (!mailbox) throw notFound('mailbox', id);
    res.json(present(mailbox));
  });

  router.patch('/:id', async (req, res) => {
    const id = validate(uuid, req.params.id, 'mailbox id');
    const { smtp_password, ...changes } = validate(updateMailboxSchema, req.body);
    refuseInsecureAuthInProduction(deps.mode, changes.smtp_allow_insecure_auth);
    if (changes.smtp_host !== undefined || changes.smtp_port !== undefined) {
      const current = await inRequestWorkspace(deps.db, res, (db) => findMailboxById(db, id, deps.daySeconds));
      if (!current) throw notFound('mailbox', id);
      await refuseForbiddenTarget(
        deps.smtpTargets,
        changes.smtp_host ?? current.smtp_host,
        changes.smtp_port ?? current.smtp_port,
      );
    }
    const update: MailboxUpdate = { ...changes, ...passwordColumns(id, smtp_password) };
    const updated = await inRequestWorkspace(deps.db, res, async (trx) =>
      (await updateMailbox(trx, id, update)) ? findMailboxById(trx, id, deps.daySeconds) : undefined,
    );
    if (!updated) throw notFound('mailbox', id);
    res.json(present(updated));
  });

  return router;
}
