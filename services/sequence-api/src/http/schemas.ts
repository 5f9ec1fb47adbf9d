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

/** A list's query: its filters, and a page of `limit` (1 to 500, default 50) after `cursor` (the previous page's last id). */
export function pageQuery<Filters extends z.ZodRawShape>(filters: Filters) {
  return z
    .object({
      ...filters,
      limit: z.coerce.number().int().min(1).max(500).default(50),
      cursor: uuid.optional(),
    })
    .strict();
}

export const pagination = pageQuery({});

/** A moment as the API writes it: ISO 8601 in UTC (`2026-12-07T09:30:00.000Z`). */
export const timestamp = z.iso.datetime();

/** What every error answers. */
export const errorResponse = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable, for programs: invalid_request, not_found, conflict, …' }),
      message: z.string().meta({ description: 'For people.' }),
      details: z.unknown().optional().meta({ description: 'For invalid_request: each field at fault.' }),
    }),
  })
  .meta({ id: 'Error' });

/** The cursor of the page after this one, null on the last page. */
export const nextCursor = uuid
  .nullable()
  .meta({ description: 'Pass as `cursor` for the next page; null on the last.' });

export const idParams = z.object({ id: uuid }).strict();
