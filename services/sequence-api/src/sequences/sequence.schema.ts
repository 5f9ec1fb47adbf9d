import { z } from '@outflow/config';
import { uuid } from '../http/schemas.js';

const stepSchema = z
  .object({
    subject: z.string().trim().min(1, 'is required').max(998, 'must be at most 998 characters'),
    content: z.string().min(1, 'is required').max(500_000),
    content_format: z.enum(['text', 'html', 'mjml']).default('text'),
    wait_days: z.number().int('must be a whole number of days').min(0, 'must be 0 or more').max(3_650),
  })
  .strict();

export const createSequenceSchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200),
    steps: z.array(stepSchema).min(1, 'needs at least one step').max(50, 'at most 50 steps'),
    open_tracking_enabled: z.boolean().default(false),
    click_tracking_enabled: z.boolean().default(false),
    mailbox_ids: z
      .array(uuid)
      .min(1, 'needs at least one mailbox')
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a mailbox'),
  })
  .strict();
