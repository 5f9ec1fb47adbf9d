import type { UnsubscribeTokens } from '@outflow/config';

export interface UnsubscribeLinks {
  tokens: UnsubscribeTokens;
  /** The API's public base URL (OUTFLOW_PUBLIC_URL); without it only the mailto form is offered. */
  publicUrl: string | undefined;
}

/**
 * The headers that let a recipient (or their mail client's button) unsubscribe: RFC 2369 `List-Unsubscribe` with
 * the signed https link and a mailto to the sending mailbox, and RFC 8058 `List-Unsubscribe-Post`, which asks
 * clients to POST to the link for a one-click unsubscribe (Gmail and Yahoo require it of bulk senders). The link
 * names the contact and its workspace, signed: no one can unsubscribe someone else.
 */
export function unsubscribeHeaders(
  links: UnsubscribeLinks,
  recipient: { workspaceId: string; contactId: string; mailboxEmail: string },
): Record<string, string> {
  const mailto = `<mailto:${recipient.mailboxEmail}?subject=unsubscribe>`;
  if (!links.publicUrl) return { 'List-Unsubscribe': mailto };
  const url = `${links.publicUrl.replace(/\/+$/, '')}/u/${links.tokens.make(recipient)}`;
  return {
    'List-Unsubscribe': `<${url}>, ${mailto}`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
