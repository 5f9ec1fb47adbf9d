import { z } from '@outflow/config';
import { nextCursor, timeZone, timestamp, uuid } from '../http/schemas.js';
import { enrollmentStatuses } from './enrollment-status.js';

/** Custom fields are merged into every email of the contact: bounded so no contact can make rendering slow. */
const maxFields = 50;
const maxFieldChars = 2_000;

/** A contact's custom fields: merged into every email of the contact. */
export const customFields = z
  .record(
    z.string().min(1).max(100),
    z.union([
      z.string().max(maxFieldChars, `must be at most ${maxFieldChars} characters`),
      z.number(),
      z.boolean(),
      z.null(),
    ]),
  )
  .refine((fields) => Object.keys(fields).length <= maxFields, `at most ${maxFields} custom fields`);

const contactInputSchema = z
  .object({
    email: z.string().max(254),
    first_name: z.string().trim().max(200).nullish(),
    last_name: z.string().trim().max(200).nullish(),
    company: z.string().trim().max(300).nullish(),
    time_zone: timeZone
      .nullish()
      .meta({ description: "The contact's IANA time zone (send windows); default the sequence's." }),
    fields: customFields.optional(),
  })
  .strict();

export const enrollSchema = z
  .object({
    contacts: z.array(contactInputSchema).min(1, 'needs at least one contact').max(1_000, 'at most 1000 per request'),
    /** Overwrite the stored values of known contacts with the given ones (default: stored values stay). */
    update_contacts: z.boolean().default(false),
  })
  .strict();

export type ContactInput = z.infer<typeof contactInputSchema>;

export const enrollmentParams = z.object({ id: uuid, contactId: uuid }).strict();

export const enrollResult = z
  .object({
    contacts_added: z.int(),
    skipped: z
      .array(z.object({ email: z.string(), reason: z.string() }))
      .meta({ description: 'Contacts not enrolled: already in this sequence, or not active (bounced, unsubscribed).' }),
    not_updated: z.array(z.object({ email: z.string(), fields: z.array(z.string()) })).meta({
      description: 'Known contacts whose stored values were kept over different given ones (see update_contacts).',
    }),
    enrollments: z.array(
      z.object({ contact_id: uuid, email: z.string(), sequence_contact_id: uuid, mailbox_id: uuid }),
    ),
  })
  .meta({ id: 'EnrollResult' });

const enrollment = z
  .object({
    sequence_contact_id: uuid,
    contact_id: uuid,
    email: z.string(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    status: z.enum(enrollmentStatuses),
    current_step: z.int(),
    mailbox_id: uuid,
    enrolled_at: timestamp,
    completed_at: timestamp.nullable(),
    next_send_at: timestamp.nullable().meta({ description: 'When its next email is due; null when none is.' }),
  })
  .meta({ id: 'Enrollment' });

export const enrollmentPage = z.object({ contacts: z.array(enrollment), next_cursor: nextCursor });

export const unenrollResult = z.object({
  status: z.enum(enrollmentStatuses).meta({ description: 'The enrollment status now.' }),
  cancelled_emails: z.int(),
});
