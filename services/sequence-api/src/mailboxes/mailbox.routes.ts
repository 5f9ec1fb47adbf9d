import { randomUUID } from 'node:crypto';
import { smtpPasswordBinding, type OutflowMode, type SecretBox } from '@outflow/config';
import { sql, type RawBuilder, type UpdateObject } from 'kysely';
import { mailboxLocalDay, type Database, type DB } from '@outflow/db';
import { resolveSmtpTarget, SmtpTargetRefusedError, type SmtpTargetPolicy } from '@outflow/smtp-target';
import { ApiError, notFound } from '../http/api-error.js';
import { defineRoute, type Route } from '../http/route.js';
import { idParams } from '../http/schemas.js';
import { refuseZonesPostgresLacks } from '../http/time-zones.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { deleteMailbox, disableMailbox } from './mailbox-lifecycle.repository.js';
import {
  createdMailbox,
  createMailboxSchema,
  deletedMailbox,
  disabledMailbox,
  disableMailboxSchema,
  mailboxDetail,
  mailboxList,
  updateMailboxSchema,
  type WarmupInput,
} from './mailbox.schema.js';
import { findMailboxById, insertMailbox, listMailboxes, updateMailbox } from './mailbox.repository.js';

type MailboxView = NonNullable<Awaited<ReturnType<typeof findMailboxById>>>;
type MailboxRow = Awaited<ReturnType<typeof listMailboxes>>[number];

/** The warm-up columns as the API shows them: one object, or null. */
function presentRow<T extends MailboxRow>(mailbox: T) {
  const { warmup_start_capacity, warmup_daily_increase, warmup_started_on, ...rest } = mailbox;
  const warmup =
    warmup_start_capacity !== null && warmup_daily_increase !== null && warmup_started_on !== null
      ? { start_capacity: warmup_start_capacity, daily_increase: warmup_daily_increase, started_on: warmup_started_on }
      : null;
  return { ...rest, warmup };
}

function present(mailbox: MailboxView) {
  const { sent_today, reserved_today, today, capacity_today, next_send_at, ...rest } = presentRow(mailbox);
  const capacity = Number(capacity_today);
  const sent = Number(sent_today);
  const reserved = Number(reserved_today);
  return {
    ...rest,
    today: {
      day: today,
      capacity,
      sent,
      reserved,
      remaining: Math.max(capacity - sent - reserved, 0),
      next_send_at: next_send_at?.toISOString() ?? null,
    },
  };
}

/**
 * The warm-up columns for a request's `warmup`: none when it is not given, all null to end it, and a ramp from
 * `started_on` or, without it, from the mailbox's local today (in its time zone and OUTFLOW_DAY_SECONDS days).
 */
function warmupColumns(
  warmup: WarmupInput | null | undefined,
  timeZone: RawBuilder<string>,
  daySeconds: number,
): UpdateObject<DB, 'mailboxes'> {
  if (warmup === undefined) return {};
  if (warmup === null) return { warmup_start_capacity: null, warmup_daily_increase: null, warmup_started_on: null };
  return {
    warmup_start_capacity: warmup.start_capacity,
    warmup_daily_increase: warmup.daily_increase,
    warmup_started_on: warmup.started_on ?? mailboxLocalDay(timeZone, daySeconds),
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
}): Route[] {
  const passwordColumns = (mailboxId: string, password: string | null | undefined) => {
    if (password === undefined) return {};
    if (password === null || password === '') return { encrypted_smtp_password: null, smtp_password_key_id: null };
    const { ciphertext, keyId } = deps.secrets.encrypt(password, smtpPasswordBinding(mailboxId));
    return { encrypted_smtp_password: ciphertext, smtp_password_key_id: keyId };
  };

  return [
    defineRoute({
      method: 'post',
      path: '/mailboxes',
      tag: 'Mailboxes',
      summary: 'Add a mailbox',
      description:
        'An SMTP account to send from. The server must be one the installation allows (checked after DNS); the ' +
        'password is stored encrypted and never returned.',
      body: createMailboxSchema,
      idempotent: true,
      responses: { 201: { description: 'Created', schema: createdMailbox } },
      async handle({ body: { smtp_password, warmup, ...body } }, res) {
        refuseInsecureAuthInProduction(deps.mode, body.smtp_allow_insecure_auth);
        await refuseForbiddenTarget(deps.smtpTargets, body.smtp_host, body.smtp_port);
        await refuseZonesPostgresLacks(deps.db, [{ path: 'time_zone', zone: body.time_zone }]);
        // The id is chosen here: the password is bound to it before the row exists.
        const mailboxId = randomUUID();
        const created = await inRequestWorkspace(deps.db, res, (db) =>
          insertMailbox(db, {
            id: mailboxId,
            ...body,
            ...passwordColumns(mailboxId, smtp_password),
            ...warmupColumns(warmup, sql`${body.time_zone}`, deps.daySeconds),
          }),
        );
        const { id, email, daily_capacity, status, time_zone } = created;
        res.status(201).json({ id, email, daily_capacity, status, time_zone });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/mailboxes',
      tag: 'Mailboxes',
      summary: 'List mailboxes',
      responses: { 200: { description: 'Every mailbox of the workspace', schema: mailboxList } },
      async handle(_input, res) {
        const mailboxes = await inRequestWorkspace(deps.db, res, (db) => listMailboxes(db));
        res.json({ mailboxes: mailboxes.map(presentRow) });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/mailboxes/{id}',
      tag: 'Mailboxes',
      summary: "Get a mailbox with today's capacity",
      params: idParams,
      responses: { 200: { description: 'The mailbox', schema: mailboxDetail } },
      errors: [404],
      async handle({ params }, res) {
        const mailbox = await inRequestWorkspace(deps.db, res, (db) => findMailboxById(db, params.id, deps.daySeconds));
        if (!mailbox) throw notFound('mailbox', params.id);
        res.json(present(mailbox));
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/mailboxes/{id}',
      tag: 'Mailboxes',
      summary: 'Change a mailbox',
      description: 'Only the fields given change; `smtp_password: null` removes the stored password.',
      params: idParams,
      body: updateMailboxSchema,
      responses: { 200: { description: 'The mailbox', schema: mailboxDetail } },
      errors: [404],
      async handle({ params: { id }, body: { smtp_password, warmup, ...changes } }, res) {
        refuseInsecureAuthInProduction(deps.mode, changes.smtp_allow_insecure_auth);
        await refuseZonesPostgresLacks(deps.db, [{ path: 'time_zone', zone: changes.time_zone }]);
        if (changes.smtp_host !== undefined || changes.smtp_port !== undefined) {
          const current = await inRequestWorkspace(deps.db, res, (db) => findMailboxById(db, id, deps.daySeconds));
          if (!current) throw notFound('mailbox', id);
          await refuseForbiddenTarget(
            deps.smtpTargets,
            changes.smtp_host ?? current.smtp_host,
            changes.smtp_port ?? current.smtp_port,
          );
        }
        const update: UpdateObject<DB, 'mailboxes'> = {
          ...changes,
          ...passwordColumns(id, smtp_password),
          ...warmupColumns(
            warmup,
            changes.time_zone ? sql`${changes.time_zone}` : sql.ref('time_zone'),
            deps.daySeconds,
          ),
        };
        const updated = await inRequestWorkspace(deps.db, res, async (trx) =>
          (await updateMailbox(trx, id, update)) ? findMailboxById(trx, id, deps.daySeconds) : undefined,
        );
        if (!updated) throw notFound('mailbox', id);
        res.json(present(updated));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/mailboxes/{id}/disable',
      tag: 'Mailboxes',
      summary: 'Disable a mailbox: it sends nothing more',
      description:
        "Its active enrollments and their unsent emails move to their sequences' other active mailboxes (or are " +
        'cancelled: with `reassign: false`, or where a sequence has no other); capacity a claim reserved is given ' +
        'back; an email being sent right now finishes. `PATCH status: active` enables it again for new work.',
      params: idParams,
      body: disableMailboxSchema,
      responses: { 200: { description: 'Disabled', schema: disabledMailbox } },
      errors: [404],
      async handle({ params, body }, res) {
        const disabled = await inRequestWorkspace(deps.db, res, (trx) => disableMailbox(trx, params.id, body.reassign));
        if (!disabled) throw notFound('mailbox', params.id);
        res.json({ id: params.id, status: 'disabled', ...disabled });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/mailboxes/{id}',
      tag: 'Mailboxes',
      summary: 'Delete a disabled mailbox',
      description:
        'Refused (409 mailbox_in_use) unless it is disabled with no email unsent, being sent or uncertain. One ' +
        'that never sent is deleted; one that did is kept as the name in its history, its credentials erased, ' +
        'and its address is free for a new mailbox.',
      params: idParams,
      responses: { 200: { description: 'Deleted', schema: deletedMailbox } },
      errors: [404, 409],
      async handle({ params }, res) {
        const deleted = await inRequestWorkspace(deps.db, res, (trx) => deleteMailbox(trx, params.id));
        if (!deleted) throw notFound('mailbox', params.id);
        res.json({ id: params.id, deleted: true, ...deleted });
      },
    }),
  ];
}
