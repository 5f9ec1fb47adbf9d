import { z } from '@outflow/config';
import { emailAddress, timeZone, timestamp, uuid } from '../http/schemas.js';

const smtpHost = z.string().trim().min(1, 'is required').max(253);
const smtpPort = z.number().int('must be a whole number').min(1).max(65535);
const capacity = z.number().int('must be a whole number').min(0).max(1_000_000);
const seconds = z.number().int('must be a whole number').min(0).max(86_400);

const minGap = seconds.meta({
  description:
    'The least time between two sends of this mailbox, in seconds. With a gap or a jitter, the next email is ' +
    'claimed only after the last send was recorded and the gap has passed, so sends never come closer.',
});
const gapJitter = seconds.meta({
  description: 'A random extra wait on top of each gap, from 0 to this many seconds, so sends keep no rhythm.',
});

const warmupSchema = z
  .object({
    start_capacity: capacity,
    daily_increase: z.number().int('must be a whole number').min(1).max(1_000_000),
    started_on: z.iso
      .date()
      .optional()
      .meta({ description: "The mailbox's local day the ramp starts on (default: today)." }),
  })
  .strict()
  .meta({
    description:
      'A ramp for a new mailbox: start_capacity on its first day, daily_increase more each day after, up to ' +
      'daily_capacity. null: the full daily_capacity from now on.',
  });
export type WarmupInput = z.infer<typeof warmupSchema>;

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
    min_gap_seconds: minGap.default(0),
    gap_jitter_seconds: gapJitter.default(0),
    warmup: warmupSchema.nullable().default(null),
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
    min_gap_seconds: minGap.optional(),
    gap_jitter_seconds: gapJitter.optional(),
    warmup: warmupSchema.nullable().optional(),
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
  min_gap_seconds: z.int(),
  gap_jitter_seconds: z.int(),
  warmup: z
    .object({ start_capacity: z.int(), daily_increase: z.int(), started_on: z.iso.date() })
    .nullable()
    .meta({ id: 'MailboxWarmup' }),
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
      .object({
        day: z.iso.date(),
        capacity: z.int().meta({ description: 'daily_capacity, or less while the mailbox warms up.' }),
        sent: z.int(),
        reserved: z.int(),
        remaining: z.int(),
        next_send_at: timestamp
          .nullable()
          .meta({ description: 'For a paced mailbox whose gap is running: when it may send again.' }),
      })
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
