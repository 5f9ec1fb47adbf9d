import { z } from '@outflow/config';
import { timestamp, uuid } from '../http/schemas.js';

export const imapSettingsSchema = z
  .object({
    host: z.string().trim().min(1, 'is required').max(253),
    port: z.number().int('must be a whole number').min(1).max(65535).default(993),
    tls: z.boolean().default(true).meta({
      description: 'TLS from the first byte (993). false: plain, upgraded by STARTTLS (required in production).',
    }),
    username: z.string().min(1, 'is required').max(500),
    password: z
      .string()
      .max(1_000)
      .optional()
      .meta({ description: 'Stored encrypted, never returned. Omitted when changing other settings: kept.' }),
    sent_folder: z
      .string()
      .min(1)
      .max(500)
      .nullish()
      .meta({ description: 'Where the provider keeps sent mail; default the folder marked \\Sent (RFC 6154).' }),
  })
  .strict();

export const imapSettingsView = z
  .object({
    mailbox_id: uuid,
    host: z.string(),
    port: z.int(),
    tls: z.boolean(),
    username: z.string(),
    has_password: z.boolean(),
    sent_folder: z.string().nullable(),
    reader: z
      .object({
        last_checked_at: timestamp.nullable(),
        last_uid: z.string().nullable().meta({ description: 'The INBOX checkpoint: the last UID read.' }),
        last_error: z.string().nullable(),
        last_error_at: timestamp.nullable(),
      })
      .meta({ description: "The inbox reader's progress and its last failure (a wrong password, a server down)." }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'MailboxImap' });

export const deletedImapSettings = z.object({ mailbox_id: uuid, deleted: z.literal(true) });
