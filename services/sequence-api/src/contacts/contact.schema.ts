import { z } from '@outflow/config';
import { deliveryStatusSchema } from '../emails/email.schema.js';
import { customFields } from '../enrollments/enrollment.schema.js';
import { enrollmentStatuses } from '../enrollments/enrollment-status.js';
import { nextCursor, pageQuery, timeZone, timestamp, uuid } from '../http/schemas.js';

const contactStatus = z.enum(['active', 'bounced', 'unsubscribed']);

export const listContactsQuery = pageQuery({
  q: z
    .string()
    .trim()
    .min(1)
    .max(254)
    .optional()
    .meta({ description: 'The start of the address, or a part of the first name, last name or company.' }),
  status: contactStatus.optional(),
});

const contactFields = {
  id: uuid,
  email: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  company: z.string().nullable(),
  time_zone: z.string().nullable(),
  fields: z.record(z.string(), z.unknown()),
  status: contactStatus,
  created_at: timestamp,
  updated_at: timestamp,
};

const contactSummary = z.object(contactFields).meta({ id: 'Contact' });

export const contactPage = z.object({ contacts: z.array(contactSummary), next_cursor: nextCursor });

export const contactDetail = z
  .object({
    ...contactFields,
    enrollments: z.array(
      z.object({
        sequence_contact_id: uuid,
        sequence_id: uuid,
        sequence_name: z.string(),
        sequence_version: z.int(),
        status: z.enum(enrollmentStatuses),
        current_step: z.int(),
        mailbox_id: uuid,
        enrolled_at: timestamp,
        completed_at: timestamp.nullable(),
      }),
    ),
    recent_emails: z
      .array(
        z.object({
          id: uuid,
          sequence_id: uuid,
          step_order: z.int(),
          delivery_status: deliveryStatusSchema,
          scheduled_for: timestamp,
          sent_at: timestamp.nullable(),
        }),
      )
      .meta({ description: 'Its 20 most recent emails, newest first (GET /emails/{id} has each one whole).' }),
  })
  .meta({ id: 'ContactDetail' });

export const updateContactSchema = z
  .object({
    first_name: z.string().trim().max(200).nullable().optional(),
    last_name: z.string().trim().max(200).nullable().optional(),
    company: z.string().trim().max(300).nullable().optional(),
    time_zone: timeZone.nullable().optional(),
    fields: customFields
      .optional()
      .meta({ description: 'Replaces every custom field (emails already rendered keep what they were).' }),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'must change at least one field');

export const erasedContact = z.object({
  id: uuid,
  erased: z.literal(true),
  cancelled_emails: z.int().meta({ description: 'Unsent emails cancelled (their capacity given back).' }),
  events_kept: z.int().meta({ description: 'Events kept for the counts, unlinked from the contact and scrubbed.' }),
  inbound_messages_deleted: z
    .int()
    .meta({ description: 'What the inbox reader recorded of their replies and bounces, deleted.' }),
});
