/** What a template can refer to: the contact's own columns and its free-form fields. */
export interface MergeContact {
  email: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  fields: Record<string, unknown>;
}

/**
 * The names a template sees: `first_name`, `last_name`, `company`, `email`, every custom field by its own name
 * and under `fields.` (the contact's columns win a clash). The scope has no prototype, and the engine reads own
 * properties only, so `{{ constructor }}` is empty.
 */
export function mergeScope(contact: MergeContact): object {
  const fields: Record<string, unknown> = Object.assign(Object.create(null), contact.fields);
  return Object.assign(Object.create(null), fields, {
    email: contact.email,
    first_name: contact.first_name,
    last_name: contact.last_name,
    company: contact.company,
    fields,
  });
}
