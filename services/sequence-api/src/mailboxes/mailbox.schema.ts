import { z } from '@outflow/config';
import { emailAddress, timeZone, timestamp, uuid } from '../http/schemas.js';

const smtpHost = z.string().trim().min(1, 'is required').max(253);
const smtpPort = z.number().int('must be a whole number').min(1).max(65535);
const capacity = z.number().int('must be a whole number').min(0).max(1_000_000);

export const createMailboxSchema = z
  .object({
    email: emailAddress,
    display_name: z.string().trim().max(200).nullish(),
    smtp_host: smtpHost,
    smtp_port: smtpPort,
    smtp_secure: z.boolean().default(false),
    smtp_allow_insecure_auth: z.boolean().default(false),
    smtp_username: z.string().max(500).nullish(),
    smtp_password: z.string().max(1_000).nullish(),
    daily_capacity: capacity.default(30),
    time_zone: timeZone.default('UTC'),
  })
  .strict();

export const updateMailboxSchema = z
  .object({
    display_name: z.string().trim().max(200).nullish(),
    smtp_host: smtpHost.optional(),
    smtp_port: smtpPort.optional(),
    smtp_secure: z.boolean().optional(),
    smtp_allow_insecure_auth: z.boolean().optional(),
    smtp_username: z.string().max(500).nullable().optional(),
    /** null removes the stored password. */
    smtp_password: z.string().max(1_000).nullable().optional(),
    daily_capacity: capacity.optional(),
    time_zone: timeZone.optional(),
    status: z.enum(['active', 'paused']).optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'must change at least one field');

export const mailboxStatus = z.enum(['active', 'paused', 'disabled']);

const mailboxFields = {
  id: uuid,
  email: z.string(),
  display_name: z.string().nullable(),
  smtp_host: z.string(),
  smtp_port: z.int(),
  smtp_secure: z.boolean(),
  smtp_allow_insecure_auth: z.boolean(),
  smtp_username: z.string().nullable(),
  has_smtp_password: z.boolean().meta({ description: 'The password itself never leaves the API.' }),
  daily_capacity: z.int(),
  status: mailboxStatus,
  time_zone: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
};

export const createdMailbox = z.object({
  id: uuid,
  email: z.string(),
  daily_capacity: z.int(),
  status: mailboxStatus,
  time_zone: z.string(),
});

const mailboxSummary = z.object(mailboxFields).meta({ id: 'MailboxSummary' });

export const mailboxList = z.object({ mailboxes: z.array(mailboxSummary) });

export const mailboxDetail = z
  .object({
    ...mailboxFields,
    today: z
      .object({ day: z.iso.date(), sent: z.int(), reserved: z.int(), remaining: z.int() })
      .meta({ description: "Capacity on the mailbox's local day: sent, reserved by claimed emails, remaining." }),
  })
  .meta({ id: 'Mailbox' });

export const disableMailboxSchema = z
  .object({
    reassign: z
      .boolean()
      .default(true)
      .meta({
        description:
          "Move its active enrollments and unsent emails to their sequences' other active mailboxes (else, and " +
          'where a sequence has none, they are cancelled).',
      }),
  })
  .strict()
  .default({ reassign: true });

export const disabledMailbox = z.object({
  id: uuid,
  status: z.literal('disabled'),
  reassigned_enrollments: z.int(),
  cancelled_enrollments: z.int(),
  cancelled_emails: z.int(),
});

export const deletedMailbox = z.object({
  id: uuid,
  deleted: z.literal(true),
  kept_as_history: z
    .boolean()
    .meta({ description: 'It sent before: kept, credentials erased, as the name in its emails’ history.' }),
});
