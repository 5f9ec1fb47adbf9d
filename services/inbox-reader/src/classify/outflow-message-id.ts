/**
 * The Message-IDs the sender gives each attempt, `<email-id.attempt@mailbox-domain>` (its start-sending
 * statement): the email's id is in the id itself, so a reply or a bounce that names one leads to its email by
 * primary key, whichever attempt it answers.
 */
const OUTFLOW_MESSAGE_ID = /^<([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.\d+@[^<>@\s]+>$/i;

/** The email ids named by Outflow Message-IDs among `messageIds`, first named first, each once. */
export function emailIdsIn(messageIds: readonly string[]): string[] {
  const ids = messageIds.map((id) => OUTFLOW_MESSAGE_ID.exec(id.trim())?.[1]?.toLowerCase());
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}
