import { z } from '@outflow/config';

/** Custom fields are merged into every email of the contact: bounded so no contact can make rendering slow. */
const maxFields = 50;
const maxFieldChars = 2_000;

const contactInputSchema = z
  .object({
    email: z.string().max(254),
    first_name: z.string().trim().max(200).nullish(),
    last_name: z.string().trim().max(200).nullish(),
    company: z.string().trim().max(300).nullish(),
    fields: z
      .record(
        z.string().min(1).max(100),
        z.union([
          z.string().max(maxFieldChars, `must be at most ${maxFieldChars} characters`),
          z.number(),
          z.boolean(),
          z.null(),
        ]),
      )
      .refine((fields) => Object.keys(fields).length <= maxFields, `at most ${maxFields} custom fields`)
      .optional(),
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
