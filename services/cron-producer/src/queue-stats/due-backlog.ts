/** What keeps a due email from being claimed: nothing (it waits its turn), or one of these. */
export const blockers = ['none', 'sequence', 'mailbox', 'capacity'] as const;
type Blocker = (typeof blockers)[number];

/** One mailbox's scheduled emails, the due ones among them, and what could hold those back. */
export interface MailboxBacklog {
  /** Every scheduled email, due or not. */
  scheduled: number;
  due: number;
  /** Due emails of sequences that are not active (paused, archived): they wait for their sequence. */
  heldBySequence: number;
  mailboxActive: boolean;
  /** The mailbox used its whole capacity for its local day. */
  atCapacity: boolean;
  /** How long the oldest due email of an active sequence has waited; null when there is none. */
  oldestSendableSeconds: number | null;
}

export interface DueBacklog {
  /** Every scheduled email of every mailbox, due or not. */
  scheduled: number;
  due: Record<Blocker, number>;
  /** How long the oldest email that nothing holds back has waited to be claimed: 0 when none waits. */
  oldestSendableSeconds: number;
}

/**
 * The due backlog by what holds it: the claim takes emails of active sequences in active mailboxes with capacity
 * left, so only `none` is work the producer is behind on; the rest waits for a person or for the next day.
 */
export function dueBacklog(mailboxes: readonly MailboxBacklog[]): DueBacklog {
  const due: Record<Blocker, number> = { none: 0, sequence: 0, mailbox: 0, capacity: 0 };
  let oldestSendableSeconds = 0;
  let scheduled = 0;
  for (const mailbox of mailboxes) {
    scheduled += mailbox.scheduled;
    due.sequence += mailbox.heldBySequence;
    const rest = mailbox.due - mailbox.heldBySequence;
    if (rest <= 0) continue;
    const blocker: Blocker = !mailbox.mailboxActive ? 'mailbox' : mailbox.atCapacity ? 'capacity' : 'none';
    due[blocker] += rest;
    if (blocker === 'none') {
      oldestSendableSeconds = Math.max(oldestSendableSeconds, mailbox.oldestSendableSeconds ?? 0);
    }
  }
  return { scheduled, due, oldestSendableSeconds };
}
