/** One local day of a mailbox: when it starts (it ends when the next starts), what it may send, what it has used. */
interface ForecastDay {
  startsAt: Date;
  capacity: number;
  /** Sent and reserved on it so far. */
  used: number;
}

export interface MailboxState {
  /** Active: its emails are claimed (paused or disabled: none is). */
  active: boolean;
  /**
   * Its local days from today on, each starting when the one before ends, and one more entry whose start is
   * where the forecast stops (the horizon).
   */
  days: ForecastDay[];
  /** The expected time between two sends of a paced mailbox (its gap plus half its jitter); 0 when not paced. */
  gapMs: number;
  /** When a paced mailbox's running gap ends, if one runs. */
  nextSendAt: Date | null;
  /** Its emails claimed or being sent right now. */
  inFlight: number;
}

/** A scheduled email of the mailbox, of an active sequence. */
export interface QueuedEmail {
  id: string;
  scheduledFor: Date;
}

/**
 * When the email is expected to go, and what decides it: its schedule (its wait and send window, or now when
 * it is due), the mailbox's capacity (a later day), or its pacing (its gap after the send before). Null when it
 * will not go within the horizon, or not at all while the mailbox is paused.
 */
export type Projection =
  | { expectedAt: Date; heldBy: 'schedule' | 'capacity' | 'pacing' }
  | { expectedAt: null; heldBy: 'mailbox_inactive' | 'beyond_horizon' };

/**
 * The send times of a mailbox's queue, as the producer claims it: in due order (scheduled_for, then id), each
 * email when it is due and the mailbox has capacity left on its local day, a paced mailbox one at a time with
 * its gap between. It assumes what the producer assumes nothing of: no email is added ahead, every send
 * succeeds, and a send takes no time. `queue` is in due order.
 */
export function forecastMailbox(
  mailbox: MailboxState,
  queue: readonly QueuedEmail[],
  now: Date,
): Map<string, Projection> {
  const projections = new Map<string, Projection>();
  if (!mailbox.active) {
    for (const email of queue) projections.set(email.id, { expectedAt: null, heldBy: 'mailbox_inactive' });
    return projections;
  }
  const paced = mailbox.gapMs > 0;
  const horizon = mailbox.days.length - 1;
  const used = mailbox.days.map((day) => day.used);
  // The earliest moment the next claim can take an email.
  let free = now.getTime();
  if (paced && mailbox.nextSendAt !== null) free = Math.max(free, mailbox.nextSendAt.getTime());
  if (paced && mailbox.inFlight > 0) free = Math.max(free, now.getTime() + mailbox.gapMs);
  let day = 0;
  let beyond = false;
  for (const email of queue) {
    if (beyond) {
      projections.set(email.id, { expectedAt: null, heldBy: 'beyond_horizon' });
      continue;
    }
    const due = Math.max(now.getTime(), email.scheduledFor.getTime());
    let at = Math.max(free, due);
    let heldBy: 'schedule' | 'capacity' | 'pacing' = at > due ? 'pacing' : 'schedule';
    while (day < horizon && mailbox.days[day + 1]!.startsAt.getTime() <= at) day++;
    while (day < horizon && used[day]! >= mailbox.days[day]!.capacity) {
      day++;
      at = Math.max(at, mailbox.days[day]!.startsAt.getTime());
      heldBy = 'capacity';
    }
    if (day >= horizon) {
      beyond = true;
      projections.set(email.id, { expectedAt: null, heldBy: 'beyond_horizon' });
      continue;
    }
    used[day] = used[day]! + 1;
    projections.set(email.id, { expectedAt: new Date(at), heldBy });
    free = paced ? at + mailbox.gapMs : at;
  }
  return projections;
}
