import { z } from '@outflow/config';
import { enrollmentStatuses } from '../enrollments/enrollment-status.js';
import { deliveryStatuses } from '../emails/email-status.js';
import { mailboxStatus } from '../mailboxes/mailbox.schema.js';
import { nextCursor, pageQuery, timeZone, timestamp, uuid } from '../http/schemas.js';

const replyStops = z.enum(['workspace', 'sequence']).meta({
  description:
    'What a reply to one of its emails stops: every active enrollment of the contact in the workspace (default), ' +
    'or only this sequence’s.',
});

const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:MM (00:00 to 23:59)');

const sendWindow = z
  .object({
    days: z
      .array(z.int().min(1).max(7))
      .min(1, 'needs at least one day')
      .max(7)
      .refine((days) => new Set(days).size === days.length, 'must not repeat a day')
      .meta({ description: 'ISO days of the week: 1 Monday to 7 Sunday.' }),
    from: localTime,
    to: localTime,
  })
  .strict()
  .refine((window) => window.from < window.to, { message: 'must end after it opens', path: ['to'] })
  .meta({
    id: 'SendWindow',
    description:
      "When emails may go, on the recipient's clock (the contact's time zone, else the sequence's); one due " +
      'outside it waits for the next opening. None: any time.',
  });

const waitUnit = z.enum(['calendar', 'business']).meta({
  description: "How steps' wait_days count: calendar days, or weekdays (Monday to Friday) on the recipient's clock.",
});

/** The sequence's own settings (not versioned): what replies stop, when emails may go, how waits count. */
const sequenceSettings = {
  reply_stops: replyStops,
  time_zone: timeZone.meta({ description: "The recipients' time zone where a contact has none (IANA)." }),
  send_window: sendWindow.nullable(),
  wait_unit: waitUnit,
};

const stepSchema = z
  .object({
    subject: z.string().trim().min(1, 'is required').max(998, 'must be at most 998 characters').nullish().meta({
      description:
        'Left out (or null) after the first step: the follow-up answers in the thread, as `Re: <first subject>`.',
    }),
    content: z.string().min(1, 'is required').max(500_000),
    content_format: z.enum(['text', 'html', 'mjml']).default('text'),
    wait_days: z.number().int('must be a whole number of days').min(0, 'must be 0 or more').max(3_650),
  })
  .strict();

/** The steps in order; the first opens the thread, so it has a subject. */
const stepList = z
  .array(stepSchema)
  .min(1, 'needs at least one step')
  .max(50, 'at most 50 steps')
  .superRefine((steps, ctx) => {
    if (steps[0] && !steps[0].subject) {
      ctx.addIssue({
        code: 'custom',
        path: [0, 'subject'],
        message: 'the first step needs a subject (it opens the thread)',
      });
    }
  });

export const createSequenceSchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200),
    steps: stepList,
    open_tracking_enabled: z.boolean().default(false),
    click_tracking_enabled: z.boolean().default(false),
    reply_stops: replyStops.default('workspace'),
    time_zone: sequenceSettings.time_zone.default('UTC'),
    send_window: sendWindow.nullish(),
    wait_unit: waitUnit.default('calendar'),
    mailbox_ids: z
      .array(uuid)
      .min(1, 'needs at least one mailbox')
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a mailbox'),
  })
  .strict();

const storedStep = z.object({
  id: uuid,
  step_order: z.int(),
  subject: z.string().nullable(),
  content: z.string(),
  content_format: z.enum(['text', 'html', 'mjml']),
  wait_days: z.int(),
});

const sequenceStatus = z.enum(['active', 'paused', 'archived']);

export const listSequencesQuery = pageQuery({ status: sequenceStatus.optional() });

const sequenceFields = {
  id: uuid,
  name: z.string(),
  status: sequenceStatus,
  version: z.int().min(1).meta({ description: 'The current version: what new enrollments follow.' }),
  open_tracking_enabled: z.boolean(),
  click_tracking_enabled: z.boolean(),
  ...sequenceSettings,
  step_count: z.int(),
  created_at: timestamp,
  updated_at: timestamp,
};

const sequenceSummary = z.object(sequenceFields).meta({ id: 'SequenceSummary' });

export const sequencePage = z.object({ sequences: z.array(sequenceSummary), next_cursor: nextCursor });

export const createdSequence = z.object({ id: uuid, name: z.string(), step_count: z.int() });

const enrollmentCounts = z
  .object(Object.fromEntries(['total', ...enrollmentStatuses].map((status) => [status, z.int()])))
  .meta({ description: 'Enrollments by status, and their total.' });

const emailCounts = z
  .object(Object.fromEntries(deliveryStatuses.map((status) => [status, z.int()])))
  .meta({ description: 'Emails by delivery status.' });

export const sequenceDetail = z
  .object({
    ...sequenceFields,
    steps: z.array(storedStep),
    mailboxes: z.array(z.object({ id: uuid, email: z.string(), status: mailboxStatus, daily_capacity: z.int() })),
    counts: z.object({ enrollments: enrollmentCounts, emails: emailCounts }),
  })
  .meta({ id: 'Sequence' });

export const updateSequenceSchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200).optional(),
    open_tracking_enabled: z.boolean().optional(),
    click_tracking_enabled: z.boolean().optional(),
    reply_stops: replyStops.optional().meta({ description: 'Changes the sequence itself, without a new version.' }),
    time_zone: sequenceSettings.time_zone.optional(),
    send_window: sendWindow
      .nullable()
      .optional()
      .meta({ description: 'null removes it. Emails already scheduled keep their time.' }),
    wait_unit: waitUnit.optional(),
    steps: stepList
      .optional()
      .meta({ description: "The new version's steps, all of them, numbered from 1 in this order." }),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'must change at least one field');

export const versionParams = z.object({ id: uuid, version: z.coerce.number().int().min(1) }).strict();

const versionFields = {
  version: z.int(),
  name: z.string(),
  open_tracking_enabled: z.boolean(),
  click_tracking_enabled: z.boolean(),
  created_at: timestamp,
};

export const versionList = z.object({
  current_version: z.int(),
  versions: z.array(
    z.object({
      ...versionFields,
      step_count: z.int(),
      enrollments: z
        .object({ active: z.int(), total: z.int() })
        .meta({ description: 'The enrollments that follow this version.' }),
    }),
  ),
});

export const sequenceVersion = z
  .object({ ...versionFields, steps: z.array(storedStep) })
  .meta({ id: 'SequenceVersion' });

export const moveEnrollmentsSchema = z
  .object({
    from_version: z
      .int()
      .min(1)
      .optional()
      .meta({ description: 'Only the enrollments of this version (default: all).' }),
    to_version: z.int().min(1).optional().meta({ description: 'Default: the current version.' }),
    contact_ids: z
      .array(uuid)
      .min(1)
      .max(1_000)
      .optional()
      .meta({ description: 'Only the enrollments of these contacts (default: all).' }),
  })
  .strict()
  .default({});

export const movedEnrollments = z.object({ moved: z.int(), to_version: z.int() });

export const archiveSchema = z
  .object({
    cancel_in_flight: z
      .boolean()
      .default(false)
      .meta({ description: 'Cancel its active enrollments and their unsent emails (else 409 while any remain).' }),
  })
  .strict()
  .default({ cancel_in_flight: false });

export const archivedSequence = z.object({
  id: uuid,
  status: z.literal('archived'),
  cancelled_enrollments: z.int(),
  cancelled_emails: z.int(),
});

export const deletedSequence = z.object({ id: uuid, deleted: z.literal(true) });
