/**
 * The merge rule for a contact enrolled again (in any sequence of the workspace): what is stored stays. A value
 * given for a field the contact lacks (null, or a custom field it does not have) is added; a value that differs
 * from a stored one is not applied unless the request says `update_contacts: true`, and the answer names it, so
 * nothing is rewritten silently and nothing given is dropped silently.
 */
export interface ContactValues {
  first_name?: string | null | undefined;
  last_name?: string | null | undefined;
  company?: string | null | undefined;
  time_zone?: string | null | undefined;
  fields?: Record<string, unknown> | undefined;
}

const namedFields = ['first_name', 'last_name', 'company', 'time_zone'] as const;

/** The given values that differ from stored ones (`first_name`, `fields.plan`...), in a stable order. */
export function conflictingValues(stored: ContactValues, given: ContactValues): string[] {
  const conflicts: string[] = [];
  for (const name of namedFields) {
    const value = given[name];
    const current = stored[name];
    if (value !== null && value !== undefined && current !== null && current !== undefined && value !== current) {
      conflicts.push(name);
    }
  }
  const storedFields = stored.fields ?? {};
  for (const [key, value] of Object.entries(given.fields ?? {})) {
    if (Object.hasOwn(storedFields, key) && storedFields[key] !== value) conflicts.push(`fields.${key}`);
  }
  return conflicts;
}
