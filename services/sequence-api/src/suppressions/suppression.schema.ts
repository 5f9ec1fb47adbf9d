import { z } from '@outflow/config';
import { emailAddress, nextCursor, pageQuery, timestamp, uuid } from '../http/schemas.js';

const reason = z.enum(['unsubscribed', 'bounced', 'complained', 'replied', 'manual']).meta({
  id: 'SuppressionReason',
  description:
    'unsubscribed (the recipient asked), bounced (a hard bounce), complained (a spam complaint), replied, manual.',
});

export const suppressSchema = z
  .object({
    email: emailAddress,
    reason: reason.default('manual'),
    note: z.string().trim().max(500).nullish(),
  })
  .strict();

export const listSuppressionsQuery = pageQuery({
  q: z.string().trim().min(1).max(254).optional().meta({ description: 'The start of the address.' }),
  reason: reason.optional(),
});

export const emailParams = z.object({ email: emailAddress }).strict();

const suppression = z
  .object({ id: uuid, email: z.string(), reason, note: z.string().nullable(), created_at: timestamp })
  .meta({ id: 'Suppression' });

export const suppressionPage = z.object({ suppressions: z.array(suppression), next_cursor: nextCursor });

export const suppressResult = z.object({
  suppression,
  created: z.boolean().meta({ description: 'False when the address was suppressed already (its reason is kept).' }),
  stopped_enrollments: z.int(),
  cancelled_emails: z.int(),
});

export const liftedSuppression = z.object({ email: z.string(), lifted: z.literal(true) });
