import { z } from '@outflow/config';
import { nextCursor, pageQuery, timestamp, uuid } from '../http/schemas.js';
import { deliveryStatuses, emailStatuses, statusFilters } from './email-status.js';

export const deliveryStatusSchema = z.enum(deliveryStatuses).meta({
  id: 'DeliveryStatus',
  description:
    'What the email state means: queued (waiting for its time or a sender), retrying (a temporary failure, ' +
    'another attempt ahead), in_progress (a sender has it), sent, failed (given up: permanent failure or out ' +
    'of retries), uncertain (the sender stopped between handing it to SMTP and recording it; see ' +
    '`outflow uncertain`), cancelled, dead_letter (its job could not be processed; see `outflow dead-letters`).',
});

export const listEmailsQuery = pageQuery({
  sequence_id: uuid.optional(),
  status: z
    .enum(statusFilters)
    .optional()
    .meta({ description: 'A delivery status, or an internal status of the `status` field.' }),
});

const emailSchema = z
  .object({
    id: uuid,
    sequence_id: uuid,
    sequence_contact_id: uuid,
    contact_id: uuid,
    recipient: z.string(),
    mailbox_id: uuid,
    step_order: z.int(),
    status: z.enum(emailStatuses).meta({ description: 'The internal status; `delivery_status` says what it means.' }),
    delivery_status: deliveryStatusSchema,
    scheduled_for: timestamp,
    attempts: z.int(),
    retry_count: z.int(),
    max_retries: z.int(),
    last_error: z.object({ code: z.string().nullable(), message: z.string().nullable() }).nullable(),
    last_attempt_at: timestamp.nullable(),
    sent_at: timestamp.nullable(),
    smtp_message_id: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Email' });

export const emailPage = z.object({ emails: z.array(emailSchema), next_cursor: nextCursor });

export const emailWithHistory = emailSchema
  .extend({
    status_history: z.array(
      z.object({
        from_status: deliveryStatusSchema.nullable(),
        to_status: deliveryStatusSchema,
        attempts: z.int(),
        error_code: z.string().nullable(),
        error_message: z.string().nullable(),
        occurred_at: timestamp,
      }),
    ),
    events: z.array(z.object({ type: z.string(), occurred_at: timestamp, metadata: z.unknown() })),
  })
  .meta({ id: 'EmailWithHistory' });
