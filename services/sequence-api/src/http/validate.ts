import type { z } from '@outflow/config';
import { ApiError } from './api-error.js';

/** Parses input with a zod schema; any problem is a 400 listing every field at fault. */
export function validate<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  what = 'request body',
): z.infer<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ApiError(
    400,
    'invalid_request',
    `invalid ${what}`,
    result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(root)', message: issue.message })),
  );
}
