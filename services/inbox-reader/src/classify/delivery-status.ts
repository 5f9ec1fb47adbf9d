/** One recipient's report in a delivery status notification (RFC 3464 section 2.3). */
export interface RecipientReport {
  /** The address that failed (Final-Recipient, else Original-Recipient), lowercased. */
  recipient: string | undefined;
  /** failed, delayed, delivered, relayed or expanded. */
  action: string;
  /** The enhanced status code (RFC 3463), e.g. 5.1.1. */
  status: string | undefined;
  diagnostic: string | undefined;
}

/**
 * Splits a `message/delivery-status` body into its field groups (the per-message group first, then one per
 * recipient), unfolding continuation lines; names are lowercased.
 */
function fieldGroups(body: string): Map<string, string>[] {
  return body
    .replace(/\r\n/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((block) => {
      const fields = new Map<string, string>();
      for (const line of block.replace(/\n[ \t]+/g, ' ').split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
      }
      return fields;
    })
    .filter((fields) => fields.size > 0);
}

/** `rfc822; user@example.com` → `user@example.com` (the address type is optional in practice). */
function addressOf(field: string | undefined): string | undefined {
  if (!field) return undefined;
  const value = field.includes(';') ? field.slice(field.indexOf(';') + 1) : field;
  const address = value.trim().replace(/^<|>$/g, '');
  return address.includes('@') ? address.toLowerCase() : undefined;
}

const ENHANCED_STATUS = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;

/** The recipients a DSN reports on; groups without an Action (the per-message group) are skipped. */
export function readDeliveryStatus(body: string): RecipientReport[] {
  return fieldGroups(body)
    .filter((fields) => fields.has('action'))
    .map((fields) => ({
      recipient: addressOf(fields.get('final-recipient')) ?? addressOf(fields.get('original-recipient')),
      action: (fields.get('action') ?? '').toLowerCase().split(/[\s(]/)[0] ?? '',
      status: ENHANCED_STATUS.exec(fields.get('status') ?? '')?.[0],
      diagnostic: fields.get('diagnostic-code')?.replace(/^smtp;\s*/i, ''),
    }));
}

/** The enhanced status code in free text (a non-standard bounce's body), e.g. `(#5.1.1)` → 5.1.1. */
export function enhancedStatusIn(text: string): string | undefined {
  return ENHANCED_STATUS.exec(text)?.[0];
}
