import { z } from '@outflow/config';

export const uuid = z.uuid({ message: 'must be a UUID' });
export const emailAddress = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ message: 'must be a valid email address' }));
export const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as UTC or Europe/Paris');

export const pagination = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: uuid.optional(),
  })
  .strict();
