import { z } from '@outflow/config';

export const contactInputSchema = z
  .object({
    email: z.string().max(254),
    first_name: z.string().trim().max(200).nullish(),
    last_name: z.string().trim().max(200).nullish(),
    company: z.string().trim().max(300).nullish(),
    fields: z.record(z.string().max(100), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  })
  .strict();

export const enrollSchema = z
  .object({
    contacts: z.array(contactInputSchema).min(1, 'needs at least one contact').max(1_000, 'at most 1000 per request'),
  })
  .strict();

export type ContactInput = z.infer<typeof contactInputSchema>;
