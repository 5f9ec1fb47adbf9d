/** What the database says about one email and everything that decides when it goes out. */
export interface EmailFacts {
  id: string;
  status: string;
  recipient: string;
  stepOrder: number;
  scheduledFor: Date;
  retryCount: number;
  maxRetries: number;
  attempts: number;
  claimedAt: Date | null;
  leaseExpiresAt: Date | null;
  lastAttemptAt: Date | null;
  sentAt: Date | null;
  errorCode: string | null;
  errorMessage: string | null;
  deadLetteredAt: Date | null;
  updatedAt: Date;
  sequence: { name: string; status: string };
  enrollment: { status: string };
  mailbox: {
    email: string;
    status: string;
    timeZone: string;
    /** What it may send on its current local day: its daily capacity, or less while it warms up. */
    capacity: number;
    dailyCapacity: number;
    /** How much more it may send each day while it warms up (null: not warming up). */
    warmupDailyIncrease: number | null;
    /** Its minimum gap between sends and the jitter on top (both 0: not paced), when its running gap ends, and
     * how many of its emails are claimed or being sent. */
    pacing: { minGapSeconds: number; jitterSeconds: number; nextSendAt: Date | null; inFlight: number };
    /** Its due emails the claim takes before this one. */
    dueBefore: number;
    /** Sent and reserved on its current local day. */
    usedToday: number;
    /** When its local day ends (its capacity starts again), and that time on its clock. */
    dayEndsAt: Date;
    dayEndsAtLocal: string;
  };
  /** The step before (absent for step 1): its email's status and when it was sent, and this step's wait. */
  previous?: { status: string; sentAt: Date | null; waitDays: number };
  /** The step after, if the sequence has one, and when it is due once this one is sent. */
  next?: { stepOrder: number; waitDays: number; dueAt: Date | null; scheduled: boolean };
}

export interface Explanation {
  /** One word for scripts: the state that holds the email. */
  state:
    | 'sent'
    | 'scheduled'
    | 'retry_backoff'
    | 'sequence_paused'
    | 'mailbox_paused'
    | 'at_capacity'
    | 'paced'
    | 'due'
    | 'claimed'
    | 'sending'
    | 'retry_pending'
    | 'failed'
    | 'uncertain'
    | 'cancelled';
  /** One paragraph for a person. */
  text: string;
  /** The command that acts on it, when one does. */
  next?: string;
}

/** The last error recorded on the email, as one phrase. */
const lastErrorOf = (facts: EmailFacts) =>
  [facts.errorCode, facts.errorMessage].filter(Boolean).join(' ') || 'no error recorded';

const at = (time: Date) => time.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** How long from `from` to `to`, roughly: "3 h 20 min", "45 s". */
export function duration(from: Date, to: Date): string {
  const seconds = Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

/**
 * Why an email has (not) gone out, from its facts alone: the first thing that holds it, in the order the
 * pipeline meets them (its status, then for a due email the sequence, the mailbox and the mailbox's capacity).
 */
export function explainEmail(facts: EmailFacts, now: Date): Explanation {
  const step = `Step ${facts.stepOrder} of "${facts.sequence.name}" to ${facts.recipient} from ${facts.mailbox.email}`;
  const lastError = lastErrorOf(facts);
  const deadLettered = facts.deadLetteredAt
    ? ` Its message was dead-lettered at ${at(facts.deadLetteredAt)} (outflow dead-letters list).`
    : '';
  switch (facts.status) {
    case 'sent':
      return {
        state: 'sent',
        text: `${step} was sent at ${at(facts.sentAt ?? facts.updatedAt)}.${afterSent(facts, now)}`,
      };
    case 'cancelled':
      return {
        state: 'cancelled',
        text: `${step} was cancelled at ${at(facts.updatedAt)} (the enrollment is ${facts.enrollment.status}); it will not be sent.`,
      };
    case 'permanent_failure':
      return {
        state: 'failed',
        text:
          `${step} failed for good at ${at(facts.updatedAt)} after ${facts.attempts} attempt(s): ${lastError}.` +
          deadLettered,
        next: `outflow retry ${facts.id} --reason "<what was fixed>"`,
      };
    case 'uncertain':
      return {
        state: 'uncertain',
        text:
          `${step} may have been delivered: the send at ${at(facts.lastAttemptAt ?? facts.updatedAt)} ended without ` +
          `an answer (${lastError}). Outflow never resends it by itself.`,
        next: `outflow uncertain resolve ${facts.id} --sent | --resend`,
      };
    case 'retry_pending':
      return {
        state: 'retry_pending',
        text:
          `${step} failed at ${at(facts.lastAttemptAt ?? facts.updatedAt)} (${lastError}), attempt ${facts.attempts}; ` +
          `the retry consumer decides its retry (${facts.retryCount} of ${facts.maxRetries} used). If it stays ` +
          'here for minutes, check that retry-consumer runs and its lag.' +
          deadLettered,
      };
    case 'sending':
      return {
        state: 'sending',
        text:
          `${step} is being sent by a sender since ${at(facts.lastAttemptAt ?? facts.updatedAt)}` +
          (facts.leaseExpiresAt
            ? `; if that sender died, the producer's recovery takes it back after its lease, ${at(facts.leaseExpiresAt)}.`
            : '.'),
      };
    case 'queued':
      return {
        state: 'claimed',
        text:
          `${step} was claimed at ${at(facts.claimedAt ?? facts.updatedAt)} and published to email-jobs; it waits ` +
          `for a sender (${duration(facts.claimedAt ?? facts.updatedAt, now)} so far). If that is long, check that ` +
          'smtp-sender runs and its consumer lag (outflow_kafka_consumer_lag).' +
          deadLettered,
      };
    default:
      return explainScheduled(facts, step, now);
  }
}

/** What follows a sent email: the next step, when it is due and whether it exists yet, or why none follows. */
function afterSent(facts: EmailFacts, now: Date): string {
  const { next, enrollment } = facts;
  if (enrollment.status === 'completed') return ' The enrollment is complete: it was the last step.';
  if (enrollment.status !== 'active') return ` The enrollment is ${enrollment.status}: no further step is sent.`;
  if (!next) return '';
  if (next.scheduled) return ` Step ${next.stepOrder} is scheduled (outflow explain on its email says when).`;
  const due = next.dueAt ? ` for ${at(next.dueAt)}` : '';
  const late =
    next.dueAt && next.dueAt < now ? ' It should exist by now: check that followup-scheduler runs and its lag.' : '';
  return ` Step ${next.stepOrder} follows ${next.waitDays} day(s) later: the follow-up scheduler schedules it${due}.${late}`;
}

function explainScheduled(facts: EmailFacts, step: string, now: Date): Explanation {
  if (facts.scheduledFor > now) {
    if (facts.retryCount > 0) {
      return {
        state: 'retry_backoff',
        text:
          `${step} is waiting to retry after a failure (${lastErrorOf(facts)}): ` +
          `retry ${facts.retryCount} of ${facts.maxRetries}, backing off until ${at(facts.scheduledFor)} ` +
          `(in ${duration(now, facts.scheduledFor)}).`,
      };
    }
    const previous = facts.previous;
    const wait =
      previous?.sentAt !== null && previous?.sentAt !== undefined
        ? ` Step ${facts.stepOrder - 1} was sent at ${at(previous.sentAt)}; this one waits ${previous.waitDays} day(s) after it.`
        : '';
    return {
      state: 'scheduled',
      text: `${step} is scheduled for ${at(facts.scheduledFor)} (in ${duration(now, facts.scheduledFor)}).${wait}`,
    };
  }
  const due = `${step} has been due since ${at(facts.scheduledFor)} (${duration(facts.scheduledFor, now)})`;
  if (facts.sequence.status !== 'active') {
    return {
      state: 'sequence_paused',
      text: `${due}, but its sequence is ${facts.sequence.status}: nothing of it is sent until it is active again.`,
    };
  }
  if (facts.mailbox.status !== 'active') {
    return {
      state: 'mailbox_paused',
      text: `${due}, but its mailbox ${facts.mailbox.email} is ${facts.mailbox.status}: nothing is sent from it until it is active again.`,
    };
  }
  const { mailbox } = facts;
  const ahead = mailbox.dueBefore > 0 ? ` ${mailbox.dueBefore} due email(s) of the mailbox go before it.` : '';
  if (mailbox.usedToday >= mailbox.capacity) {
    return {
      state: 'at_capacity',
      text:
        `${due}, but ${mailbox.email} has used its capacity for today (${mailbox.usedToday} of ` +
        `${mailbox.capacity}${warmingUp(mailbox)}) until ${mailbox.dayEndsAtLocal} mailbox time ` +
        `(${mailbox.timeZone}), ${at(mailbox.dayEndsAt)}, in ${duration(now, mailbox.dayEndsAt)}.${ahead}`,
    };
  }
  const { pacing } = mailbox;
  const gap = `${mailbox.email} keeps ${pacing.minGapSeconds} s between sends (plus up to ${pacing.jitterSeconds} s)`;
  if (pacing.inFlight > 0 && pacing.minGapSeconds + pacing.jitterSeconds > 0) {
    return {
      state: 'paced',
      text: `${due}, but ${gap}, one at a time: ${pacing.inFlight} is on its way, and the next is claimed once it is recorded and the gap has passed.${ahead}`,
    };
  }
  if (pacing.nextSendAt !== null && pacing.nextSendAt > now) {
    return {
      state: 'paced',
      text: `${due}, but ${gap}: it may send again at ${at(pacing.nextSendAt)}, in ${duration(now, pacing.nextSendAt)}.${ahead}`,
    };
  }
  return {
    state: 'due',
    text:
      `${due} and nothing holds it (sequence and mailbox active, ${mailbox.capacity - mailbox.usedToday} ` +
      `of the mailbox's capacity left today${warmingUp(mailbox)}): the producer claims due emails every tick.${ahead} ` +
      'If it stays due, check that cron-producer runs.',
  };
}

/** ", warming up: N more a day up to M" while the mailbox's capacity today is below its daily capacity. */
function warmingUp(mailbox: EmailFacts['mailbox']): string {
  if (mailbox.warmupDailyIncrease === null || mailbox.capacity >= mailbox.dailyCapacity) return '';
  return `, warming up: ${mailbox.warmupDailyIncrease} more a day up to ${mailbox.dailyCapacity}`;
}
