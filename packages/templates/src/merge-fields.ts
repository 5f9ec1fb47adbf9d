/** What a template can refer to: the contact's own columns and its free-form fields. */
export interface MergeContact {
  email: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  fields: Record<string, unknown>;
}

const placeholder = /\{\{\s*([A-Za-z_][\w.]*)\s*(?:\|\s*([^}]*?)\s*)?\}\}/g;

function valueOf(contact: MergeContact, name: string): string | undefined {
  const key = name.startsWith('fields.') ? name.slice('fields.'.length) : name;
  const direct =
    name === 'email' || name === 'first_name' || name === 'last_name' || name === 'company'
      ? contact[name]
      : contact.fields[key];
  if (direct === null || direct === undefined || direct === '') return undefined;
  return typeof direct === 'string' ? direct : JSON.stringify(direct);
}

/** Names a template refers to, for validating templates before they are stored. */
export function mergeFieldNames(template: string): string[] {
  return [...template.matchAll(placeholder)].map((match) => match[1]!);
}

/**
 * Replaces `{{ name }}` and `{{ name | fallback }}` with the contact's value (`first_name`, `last_name`,
 * `company`, `email`, or any key of `fields`, also as `fields.key`). A missing value renders the fallback, or
 * nothing. `escape` is applied to substituted values only (HTML bodies escape them; the template is trusted).
 */
export function applyMergeFields(
  template: string,
  contact: MergeContact,
  escape: (value: string) => string = (v) => v,
): string {
  return template.replace(placeholder, (_match, name: string, fallback: string | undefined) =>
    escape(valueOf(contact, name) ?? fallback ?? ''),
  );
}

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  );
}
