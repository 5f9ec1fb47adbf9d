import { enhancedStatusIn, readDeliveryStatus, type RecipientReport } from './delivery-status.js';
import type { InboundFacts } from './inbound-facts.js';

type BounceType = 'hard' | 'soft';

/**
 * What a message read from a mailbox's INBOX is, by its form alone. Whether a `personal` message is a reply to a
 * sequence email is decided against the database (the Message-IDs it names, else its sender), by the caller.
 */
export type InboundClassification =
  | {
      kind: 'bounce';
      bounceType: BounceType;
      /** The address that could not be reached, when the report names it. */
      recipient: string | undefined;
      statusCode: string | undefined;
      diagnostic: string | undefined;
      /** Message-IDs of the returned message (the email that bounced), best first. */
      originalIds: string[];
    }
  | { kind: 'auto_reply'; referencedIds: string[] }
  /** The List-Unsubscribe mailto: its subject carries the contact's signed token, unless the client dropped it. */
  | { kind: 'unsubscribe'; token: string | undefined }
  | { kind: 'personal'; referencedIds: string[] }
  | { kind: 'other'; reason: string };

/** Senders of delivery reports: RFC 5321's postmaster, the MTAs' daemons, Exchange's system mailbox. */
const DAEMON_LOCAL_PART = /^(mailer-daemon|mailerdaemon|mail-daemon|postmaster|microsoftexchange[0-9a-f]*)$/i;
const DAEMON_NAME = /mail delivery (system|subsystem)|^microsoft outlook$/i;
/** Subjects of the bounce shapes MTAs send without a machine-readable report (qmail, exim, sendmail, Exchange). */
const BOUNCE_SUBJECT =
  /undeliver(able|ed)|delivery (status notification|failure|has failed|failed)|failure notice|mail delivery failed|returned mail|could not be delivered|non-?delivery/i;
/** Where a non-standard bounce's own text ends and the returned message's copy begins. */
const RETURNED_COPY =
  /^\s*-{2,}.*(copy of the message|below this line|original message|returned message|undelivered message).*$/im;
/** Out-of-office subjects in the languages such replies come in most. */
const AUTO_REPLY_SUBJECT =
  /^(auto(matic|matische)?[ -]?(reply|response|antwort|antwoord)|auto:|out of (the )?office|autoreply|abwesenheit|réponse automatique|absence|respuesta automática|risposta automatica|fuera de la oficina)/i;
/** The subject the List-Unsubscribe mailto sets: `unsubscribe <token>` (the sender's unsubscribe headers). */
const UNSUBSCRIBE_SUBJECT = /^\s*unsubscribe(?:\s+([A-Za-z0-9_.-]+))?\s*$/i;
const AUTO_REPLY_HEADERS = ['x-autoreply', 'x-autorespond', 'x-autoreply-from', 'x-mail-autoreply'];
const EMAIL = /[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+/gi;
const MESSAGE_ID_LINE = /^message-id:\s*(<[^<>\s]+>)/gim;

export function classifyInbound(facts: InboundFacts): InboundClassification {
  const bounce = classifyBounce(facts);
  if (bounce) return bounce;
  if (isAutoReply(facts)) return { kind: 'auto_reply', referencedIds: facts.referencedIds };
  const unsubscribe = UNSUBSCRIBE_SUBJECT.exec(facts.subject);
  if (unsubscribe && facts.from) return { kind: 'unsubscribe', token: unsubscribe[1] };
  // Mailing lists and bulk mail are not somebody answering, unless they answer one of our emails (a helpdesk).
  const bulk =
    facts.headers.has('list-id') ||
    facts.headers.has('list-unsubscribe') ||
    /^(bulk|list|junk)$/i.test(facts.headers.get('precedence') ?? '');
  if (bulk && facts.referencedIds.length === 0) return { kind: 'other', reason: 'bulk or list mail' };
  if (!facts.from) return { kind: 'other', reason: 'no sender address' };
  return { kind: 'personal', referencedIds: facts.referencedIds };
}

/**
 * RFC 3834: `Auto-Submitted` other than `no` marks anything sent by a program; the X- headers and `Precedence:
 * auto_reply` are what vacation responders used before it; the subject catches responders that set none.
 */
function isAutoReply(facts: InboundFacts): boolean {
  const autoSubmitted = facts.headers.get('auto-submitted')?.toLowerCase();
  if (autoSubmitted !== undefined && !autoSubmitted.startsWith('no')) return true;
  if (AUTO_REPLY_HEADERS.some((name) => facts.headers.has(name))) return true;
  if (facts.headers.get('precedence')?.toLowerCase() === 'auto_reply') return true;
  return AUTO_REPLY_SUBJECT.test(facts.subject.trim());
}

function isFromDaemon(facts: InboundFacts): boolean {
  const localPart = facts.from?.split('@')[0] ?? '';
  return DAEMON_LOCAL_PART.test(localPart) || DAEMON_NAME.test(facts.fromName.trim());
}

function classifyBounce(facts: InboundFacts): InboundClassification | undefined {
  const originalIds = [
    ...(facts.returnedHeaders ? idsOnMessageIdLines(facts.returnedHeaders) : []),
    ...facts.referencedIds,
  ];
  if (facts.deliveryStatus !== undefined) {
    const reports = readDeliveryStatus(facts.deliveryStatus);
    const report =
      reports.find((each) => each.action === 'failed') ?? reports.find((each) => each.action === 'delayed');
    // A report of success (delivered, relayed, expanded) is not a bounce.
    if (!report) return reports.length > 0 ? { kind: 'other', reason: 'delivery report without a failure' } : undefined;
    return standardBounce(report, facts, unique(originalIds));
  }
  if (!isFromDaemon(facts) || !(BOUNCE_SUBJECT.test(facts.subject) || RETURNED_COPY.test(facts.text))) {
    return undefined;
  }
  return nonStandardBounce(facts, originalIds);
}

function standardBounce(report: RecipientReport, facts: InboundFacts, originalIds: string[]): InboundClassification {
  const statusCode = report.status ?? enhancedStatusIn(report.diagnostic ?? '');
  const basic = /\b([45])\d\d\b/.exec(report.diagnostic ?? '')?.[1];
  const permanent = statusCode ? statusCode.startsWith('5') : basic === '5';
  return {
    kind: 'bounce',
    // Delayed, or failed with a temporary status (given up after retries): nothing says the address is bad.
    bounceType: report.action === 'failed' && permanent ? 'hard' : 'soft',
    recipient: report.recipient ?? failedRecipientHeader(facts),
    statusCode,
    diagnostic: report.diagnostic,
    originalIds,
  };
}

/**
 * qmail, exim, old sendmail and some appliances write the failure as prose: the failed address and the server's
 * reply sit in the text before the returned copy. Only a status or the word "permanent" makes it hard; a bounce
 * that says neither is taken as soft, so a guess never suppresses an address.
 */
function nonStandardBounce(facts: InboundFacts, referencedIds: string[]): InboundClassification {
  const separator = RETURNED_COPY.exec(facts.text);
  const report = separator ? facts.text.slice(0, separator.index) : facts.text;
  const returned = separator ? facts.text.slice(separator.index) : '';
  const ownAddresses = new Set([facts.from, ...(facts.headers.get('to')?.match(EMAIL) ?? [])].map(lower));
  const recipient =
    failedRecipientHeader(facts) ??
    report
      .match(EMAIL)
      ?.map(lower)
      .find((address) => !ownAddresses.has(address));
  const statusCode = enhancedStatusIn(report);
  const basic = /\b([45])\d\d\b/.exec(report)?.[1];
  const permanent = statusCode ? statusCode.startsWith('5') : basic ? basic === '5' : /permanent/i.test(report);
  const diagnostic = /\b[45]\d\d[ -].*$/m.exec(report)?.[0]?.trim() ?? /\(#[45]\.\d+\.\d+\)/.exec(report)?.[0];
  return {
    kind: 'bounce',
    bounceType: permanent ? 'hard' : 'soft',
    recipient,
    statusCode,
    diagnostic: diagnostic ?? report.trim().split('\n').slice(-2).join(' ').slice(0, 300),
    originalIds: unique([...idsOnMessageIdLines(returned), ...referencedIds]),
  };
}

function failedRecipientHeader(facts: InboundFacts): string | undefined {
  return facts.headers.get('x-failed-recipients')?.match(EMAIL)?.[0]?.toLowerCase();
}

function idsOnMessageIdLines(text: string): string[] {
  return [...text.matchAll(MESSAGE_ID_LINE)].map((match) => match[1]!);
}

function lower(value: string | undefined): string | undefined {
  return value?.toLowerCase();
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
