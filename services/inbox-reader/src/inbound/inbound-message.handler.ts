import { randomUUID } from 'node:crypto';
import type { UnsubscribeTokens } from '@outflow/config';
import { insertEmailEvent, suppressAddress, type Database, type InboundKind } from '@outflow/db';
import { enqueueOutbox } from '@outflow/kafka';
import type { Logger } from '@outflow/telemetry';
import { classifyInbound, type InboundClassification } from '../classify/classify-inbound.js';
import { readInboundFacts, type InboundFacts } from '../classify/inbound-facts.js';
import { emailIdsIn } from '../classify/outflow-message-id.js';
import { moveCheckpoint, type LeasedMailbox } from '../imap/imap-lease.repository.js';
import {
  findContactAddress,
  findEmailsByIds,
  findLatestEmailTo,
  inboundRecorded,
  insertInboundMessage,
  stopForReply,
  type AnsweredEmail,
  type InboundRecord,
} from './inbound.repository.js';

export interface InboundDeps {
  db: Database;
  logger: Logger;
  /** This replica's lease owner id: the checkpoint moves only while it holds the mailbox. */
  owner: string;
  replyMatchDays: number;
  /** Reads the contact out of the token an unsubscribe request's subject carries. */
  tokens: UnsubscribeTokens;
  /** Publishes committed outbox rows at once (the sender's relay publishes them otherwise). */
  publish: (outboxIds: string[]) => Promise<void>;
}

export interface FetchedMessage {
  uidvalidity: bigint;
  uid: bigint;
  source: Buffer;
}

/** What was made of a message: its kind as recorded and how many enrollments it stopped. */
export interface InboundOutcome {
  kind: InboundKind;
  stoppedEnrollments: number;
  /** False when the UID had been recorded already (read again after a crash): nothing was done twice. */
  recorded: boolean;
}

/** The kind a classification is recorded as when nothing matched it further (a personal message is a reply). */
const recordedKind: Record<InboundClassification['kind'], InboundKind> = {
  personal: 'reply',
  auto_reply: 'auto_reply',
  bounce: 'bounce',
  unsubscribe: 'unsubscribe',
  other: 'other',
};

type Effect = Omit<InboundRecord, 'workspaceId' | 'mailboxId' | 'uidvalidity' | 'uid' | 'messageId' | 'subject'>;

/**
 * Reads one message of a mailbox's INBOX: classifies it, and in one transaction records it, applies what it means
 * (a reply stops its contact, a hard bounce suppresses the address) and moves the mailbox's checkpoint past it.
 * A crash anywhere leaves either all of it or none, and the UID is read again; one recorded already is skipped.
 */
export async function handleInboundMessage(
  deps: InboundDeps,
  mailbox: LeasedMailbox,
  message: FetchedMessage,
): Promise<InboundOutcome> {
  const facts = await readInboundFacts(message.source);
  const classified = classifyInbound(facts);
  const key = { mailboxId: mailbox.mailbox_id, uidvalidity: message.uidvalidity, uid: message.uid };
  const result = await deps.db.transaction().execute(async (trx) => {
    await moveCheckpoint(trx, {
      mailboxId: mailbox.mailbox_id,
      owner: deps.owner,
      uidvalidity: message.uidvalidity,
      lastUid: message.uid,
    });
    if (await inboundRecorded(trx, key)) return undefined;
    const { effect, events } = await applyClassification(trx, deps, mailbox, facts, classified);
    const inboundId = await insertInboundMessage(trx, {
      workspaceId: mailbox.workspace_id,
      mailboxId: mailbox.mailbox_id,
      uidvalidity: message.uidvalidity,
      uid: message.uid,
      messageId: facts.messageId,
      subject: facts.subject,
      ...effect,
    });
    const outboxIds = await recordEvents(trx, mailbox, facts, inboundId, events);
    return { effect, outboxIds };
  });
  if (!result) return { kind: recordedKind[classified.kind], stoppedEnrollments: 0, recorded: false };
  await deps.publish(result.outboxIds);
  deps.logger.info(
    {
      mailboxId: mailbox.mailbox_id,
      uid: message.uid.toString(),
      kind: result.effect.kind,
      bounceType: result.effect.bounceType,
      emailId: result.effect.emailId,
      stoppedEnrollments: result.effect.stoppedEnrollments,
    },
    'inbound message recorded',
  );
  return { kind: result.effect.kind, stoppedEnrollments: result.effect.stoppedEnrollments, recorded: true };
}

interface EmailEventToRecord {
  type: 'replied' | 'bounced' | 'unsubscribed';
  email: AnsweredEmail;
  metadata: Record<string, string>;
}

async function applyClassification(
  db: Database,
  deps: InboundDeps,
  mailbox: LeasedMailbox,
  facts: InboundFacts,
  classified: InboundClassification,
): Promise<{ effect: Effect; events: EmailEventToRecord[] }> {
  const base: Effect = {
    kind: 'other',
    bounceType: null,
    fromAddress: facts.from,
    emailId: null,
    contactId: null,
    recipient: null,
    statusCode: null,
    diagnostic: null,
    stoppedEnrollments: 0,
    receivedAt: facts.receivedAt,
  };
  const about = (email: AnsweredEmail | undefined) =>
    email ? { emailId: email.id, contactId: email.contact_id } : { emailId: null, contactId: null };
  // A copy of our own mail (a BCC to self, a client that files sent mail in the INBOX) answers nothing.
  if (facts.from === mailbox.mailbox_email.toLowerCase()) return { effect: base, events: [] };
  const byIds = (ids: string[]) => findEmailsByIds(db, mailbox.workspace_id, emailIdsIn(ids));
  const latestTo = (address: string | undefined) =>
    address
      ? findLatestEmailTo(db, {
          workspaceId: mailbox.workspace_id,
          mailboxId: mailbox.mailbox_id,
          address,
          days: deps.replyMatchDays,
        })
      : Promise.resolve(undefined);

  switch (classified.kind) {
    case 'other':
      return { effect: base, events: [] };
    case 'auto_reply': {
      const [email] = await byIds(classified.referencedIds);
      return { effect: { ...base, kind: 'auto_reply', ...about(email ?? (await latestTo(facts.from))) }, events: [] };
    }
    case 'personal': {
      const [email] = await byIds(classified.referencedIds);
      const answered = email ?? (await latestTo(facts.from));
      if (!answered) return { effect: base, events: [] };
      const stoppedEnrollments = await stopForReply(db, answered);
      return {
        effect: { ...base, kind: 'reply', ...about(answered), stoppedEnrollments },
        events: [
          {
            type: 'replied',
            email: answered,
            metadata: {
              matched_by: email ? 'message-id' : 'sender',
              stopped: answered.reply_stops,
              ...(facts.from ? { from: facts.from } : {}),
            },
          },
        ],
      };
    }
    case 'unsubscribe': {
      // The token names the contact, signed; without one (or with one that does not verify) the sender's
      // address is taken at its word, as RFC 2369's mailto intends, if this mailbox wrote to it.
      const named = classified.token ? deps.tokens.read(classified.token) : undefined;
      const signed = named && named.workspaceId === mailbox.workspace_id;
      const bySender = signed ? undefined : await latestTo(facts.from);
      const address = signed
        ? await findContactAddress(db, mailbox.workspace_id, named.contactId)
        : bySender?.contact_email;
      if (!address) return { effect: { ...base, kind: 'unsubscribe' }, events: [] };
      const email = bySender ?? (await latestTo(address));
      const suppressed = await suppressAddress(db, {
        workspaceId: mailbox.workspace_id,
        email: address,
        reason: 'unsubscribed',
        note: `asked by email to ${mailbox.mailbox_email}`,
      });
      return {
        effect: {
          ...base,
          kind: 'unsubscribe',
          ...about(email),
          recipient: address,
          stoppedEnrollments: suppressed.stopped_enrollments,
        },
        events: email
          ? [{ type: 'unsubscribed', email, metadata: { via: 'mailto', signed: named ? 'true' : 'false' } }]
          : [],
      };
    }
    case 'bounce': {
      const [email] = await byIds(classified.originalIds);
      // Only a bounce of mail we sent acts: a report about anything else (backscatter of forged mail) is recorded.
      const bounced = email ?? (await latestTo(classified.recipient));
      const effect: Effect = {
        ...base,
        kind: 'bounce',
        bounceType: classified.bounceType,
        ...about(bounced),
        recipient: classified.recipient ?? bounced?.contact_email ?? null,
        statusCode: classified.statusCode ?? null,
        diagnostic: classified.diagnostic ?? null,
      };
      if (!bounced || classified.bounceType === 'soft') return { effect, events: [] };
      const suppressed = await suppressAddress(db, {
        workspaceId: mailbox.workspace_id,
        email: bounced.contact_email,
        reason: 'bounced',
        note: [classified.statusCode, classified.diagnostic].filter(Boolean).join(' ').slice(0, 500) || null,
      });
      return {
        effect: { ...effect, stoppedEnrollments: suppressed.stopped_enrollments },
        events: [
          {
            type: 'bounced',
            email: bounced,
            metadata: {
              bounce_type: 'hard',
              ...(classified.statusCode ? { status: classified.statusCode } : {}),
              ...(classified.diagnostic ? { diagnostic: classified.diagnostic.slice(0, 500) } : {}),
            },
          },
        ],
      };
    }
  }
}

/** The events a message caused, in the database and, through the outbox, on email-events. */
async function recordEvents(
  db: Database,
  mailbox: LeasedMailbox,
  facts: InboundFacts,
  inboundId: string,
  events: EmailEventToRecord[],
): Promise<string[]> {
  for (const event of events) {
    await insertEmailEvent(db, {
      emailId: event.email.id,
      sequenceId: event.email.sequence_id,
      contactId: event.email.contact_id,
      mailboxId: mailbox.mailbox_id,
      type: event.type,
      eventKey: `${event.type}:${mailbox.mailbox_id}:${facts.messageId ?? inboundId}`,
      metadata: { ...event.metadata, inbound_message_id: inboundId },
    });
  }
  return enqueueOutbox(
    db,
    events.map((event) => ({
      topic: 'email-events' as const,
      messageId: `email-event:${event.type}:${event.email.id}:${inboundId}`,
      key: event.email.id,
      payload: {
        event_id: randomUUID(),
        email_id: event.email.id,
        type: event.type,
        sequence_id: event.email.sequence_id,
        contact_id: event.email.contact_id,
        mailbox_id: mailbox.mailbox_id,
        occurred_at: Date.now(),
        metadata: { ...event.metadata, inbound_message_id: inboundId },
      },
    })),
  );
}
