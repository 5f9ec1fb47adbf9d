import type { ImapFlow } from 'imapflow';
import type { Logger } from '@outflow/telemetry';
import { handleInboundMessage, type InboundDeps } from '../inbound/inbound-message.handler.js';
import { settleUncertainSends, type SentFolderDeps } from '../uncertain/sent-folder.js';
import { describeImapFailure, openImapSession, type ImapConnectOptions } from './imap-connection.js';
import { moveCheckpoint, recordReadError, type LeasedMailbox } from './imap-lease.repository.js';

export interface FollowerDeps {
  inbound: InboundDeps;
  sentFolder: SentFolderDeps;
  connect: ImapConnectOptions;
  logger: Logger;
  pollMs: number;
  /** Counts what was read, by kind (the service's metrics). */
  onRecorded: (kind: string) => void;
}

export interface InboxFollower {
  mailbox: LeasedMailbox;
  stop(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 512 * 1024;

/** Reconnection waits: 1 s, doubling to at most a minute, while a server is down or refuses the login. */
const backoffMs = (failures: number) => Math.min(1_000 * 2 ** Math.min(failures, 6), 60_000);

/**
 * Follows one mailbox's INBOX for as long as this replica holds it: reads every message after the checkpoint,
 * settles uncertain sends from the Sent folder, then waits for new mail (IDLE, which the server ends with EXISTS)
 * or the poll interval, and again. A connection that fails is opened again with backoff, its error shown on the
 * mailbox. Stopping ends the wait and lets the message being recorded finish.
 */
export function startInboxFollower(deps: FollowerDeps, mailbox: LeasedMailbox): InboxFollower {
  const log = deps.logger.child({ mailboxId: mailbox.mailbox_id });
  let stopping = false;
  let wake: () => void = () => undefined;
  const wakeUp = () => wake();
  let client: ImapFlow | undefined;
  // The checkpoint as this follower last moved it (the row is only re-read when the lease is taken again).
  let checkpoint = {
    uidvalidity: mailbox.inbox_uidvalidity === null ? undefined : BigInt(mailbox.inbox_uidvalidity),
    lastUid: BigInt(mailbox.inbox_last_uid ?? 0),
  };

  /** Waits `ms`, or until woken (new mail, a closed connection, a stop). */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      wake = done;
    });

  const readInbox = async (session: ImapFlow): Promise<void> => {
    const lock = await session.getMailboxLock('INBOX');
    try {
      const opened = session.mailbox;
      if (!opened) throw new Error('INBOX did not open');
      const uidvalidity = opened.uidValidity;
      let uids: number[];
      if (checkpoint.uidvalidity === uidvalidity) {
        uids = await searchUids(session, { uid: `${checkpoint.lastUid + 1n}:*` });
        uids = uids.filter((uid) => BigInt(uid) > checkpoint.lastUid);
      } else {
        // First look, or the folder was rebuilt (its UIDs mean nothing now): mail since the settings were saved,
        // or since the last look. A message already recorded under the old UIDs acts only once (its events' keys).
        const since = mailbox.last_checked_at ?? mailbox.created_at;
        uids = await searchUids(session, { since: new Date(since.getTime() - 86_400_000) });
        uids = await arrivedSince(session, uids, since);
        if (uids.length === 0) {
          const empty = { uidvalidity, lastUid: BigInt(Math.max(opened.uidNext - 1, 0)) };
          await moveCheckpoint(deps.inbound.db, { mailboxId: mailbox.mailbox_id, owner: deps.inbound.owner, ...empty });
          checkpoint = empty;
        }
      }
      for (const uid of uids.sort((a, b) => a - b)) {
        if (stopping) return;
        // The first 512 KiB: headers, a reply's text and a report's parts come first; a large attachment is not
        // needed to classify, and reading it whole could take the process's memory.
        const message = await session.fetchOne(
          String(uid),
          { source: { maxLength: MAX_MESSAGE_BYTES } },
          { uid: true },
        );
        if (!message || !message.source) continue;
        const outcome = await handleInboundMessage(deps.inbound, mailbox, {
          uidvalidity,
          uid: BigInt(uid),
          source: message.source,
        });
        checkpoint = { uidvalidity, lastUid: BigInt(uid) };
        if (outcome.recorded) deps.onRecorded(outcome.kind);
      }
    } finally {
      lock.release();
    }
  };

  const run = async () => {
    let failures = 0;
    while (!stopping) {
      try {
        client = await openImapSession(mailbox, deps.connect);
        const session = client;
        // EXISTS can come while a cycle runs (in a fetch's responses), not only while idling: it is remembered, and
        // the next cycle starts at once instead of after the poll interval.
        let newMail = false;
        const onMail = (event: { path: string }) => {
          if (event.path !== 'INBOX') return;
          newMail = true;
          wake();
        };
        session.on('exists', onMail);
        session.on('close', wakeUp);
        log.info('following the INBOX');
        try {
          while (!stopping && session.usable) {
            newMail = false;
            await settleUncertainSends(deps.sentFolder, session, mailbox);
            await readInbox(session);
            failures = 0;
            // INBOX stays selected after its lock: IDLE on it until EXISTS, the poll, or a stop (the next command
            // ends the IDLE; a server without IDLE is polled by the client meanwhile).
            if (!stopping && !newMail) {
              void session.idle().catch(() => undefined);
              await sleep(deps.pollMs);
            }
          }
          if (!stopping) throw new Error('the IMAP server closed the connection');
        } finally {
          session.off('exists', onMail);
          session.off('close', wakeUp);
        }
      } catch (error) {
        if (stopping) break;
        failures += 1;
        const message = describeImapFailure(error, mailbox);
        log.warn({ err: error, failures, reason: message }, 'reading the INBOX failed; connecting again');
        await recordReadError(deps.inbound.db, mailbox.mailbox_id, deps.inbound.owner, message).catch(() => undefined);
        await sleep(backoffMs(failures));
      } finally {
        const closing = client;
        client = undefined;
        await closing?.logout().catch(() => closing.close());
      }
    }
  };
  const running = run();

  return {
    mailbox,
    async stop() {
      stopping = true;
      wake();
      await running;
    },
  };
}

async function searchUids(session: ImapFlow, query: Parameters<ImapFlow['search']>[0]): Promise<number[]> {
  return (await session.search(query, { uid: true })) || [];
}

/** The UIDs among `uids` of messages that arrived at or after `since` (SEARCH SINCE has only day precision). */
async function arrivedSince(session: ImapFlow, uids: number[], since: Date): Promise<number[]> {
  if (uids.length === 0) return [];
  const arrived: number[] = [];
  for await (const message of session.fetch(uids.join(','), { uid: true, internalDate: true }, { uid: true })) {
    const date = message.internalDate instanceof Date ? message.internalDate : new Date(message.internalDate ?? 0);
    if (date.getTime() >= since.getTime() - 60_000) arrived.push(message.uid);
  }
  return arrived;
}
