import type { UnsubscribeTokens } from '@outflow/config';

export interface UnsubscribeLinks {
  tokens: UnsubscribeTokens;
  /** The API's public base URL (OUTFLOW_PUBLIC_URL); without it only the mailto form is offered. */
  publicUrl: string | undefined;
}

/**
 * The headers that let a recipient (or their mail client's button) unsubscribe: RFC 2369 `List-Unsubscribe` with
 * the signed https link and a mailto to the sending mailbox (its subject carries the same token), and RFC 8058 `List-Unsubscribe-Post`, which asks
 * clients to POST to the link for a one-click unsubscribe (Gmail and Yahoo require it of bulk senders). The link
 * names the contact and its workspace, signed: no one can unsubscribe someone else.
 */
export function unsubscribeHeaders(
  links: UnsubscribeLinks,
  recipient: { workspaceId: string; contactId: string; mailboxEmail: string },
): Record<string, string> {
  // The token rides in the subject too: the inbox reader, where the mailbox has IMAP, unsubscribes the contact it
  // names (a bare "unsubscribe", from a client that drops the subject's rest, is matched by its sender instead).
  const token = links.tokens.make(recipient);
  const mailto = `<mailto:${recipient.mailboxEmail}?subject=unsubscribe%20${token}>`;
  if (!links.publicUrl) return { 'List-Unsubscribe': mailto };
  const url = `${links.publicUrl.replace(/\/+$/, '')}/u/${token}`;
  return {
    'List-Unsubscribe': `<${url}>, ${mailto}`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
