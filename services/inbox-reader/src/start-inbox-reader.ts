import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { secretBoxFromEnv, unsubscribeTokens, type z } from '@outflow/config';
import { publishOutbox } from '@outflow/kafka';
import { startTicker } from '@outflow/runtime';
import type { ServiceContext, ServiceParts } from '@outflow/service-kit';
import { imapTargetPolicy, smtpTargetPolicyFromEnv } from '@outflow/smtp-target';
import type { inboxReaderEnv } from './config.js';
import { startInboxFollower, type FollowerDeps, type InboxFollower } from './imap/inbox-follower.js';
import { leaseMailboxes, releaseMailboxes } from './imap/imap-lease.repository.js';

export type InboxReaderConfig = z.infer<z.ZodObject<typeof inboxReaderEnv>>;

/**
 * Takes the mailboxes with IMAP settings this replica may follow (a lease in PostgreSQL: one replica per mailbox)
 * and follows each one's INBOX. Every third of the lease it renews, starts followers for mailboxes it gained,
 * stops those it lost or whose settings changed (started again with the new ones). Shutdown stops the followers,
 * then hands the mailboxes back so another replica takes them at once.
 */
export async function startInboxReader({
  config,
  logger,
  infra,
  metrics,
}: ServiceContext<InboxReaderConfig>): Promise<ServiceParts> {
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const inbound = metrics.counter<'kind'>({
    name: 'outflow_inbound_messages_total',
    help: 'Messages read from mailboxes, by what they were taken for: reply, auto_reply, bounce, unsubscribe or other.',
    labelNames: ['kind'],
    labelValues: { kind: ['reply', 'auto_reply', 'bounce', 'unsubscribe', 'other'] },
  });
  const settled = metrics.counter({
    name: 'outflow_uncertain_settled_total',
    help: "Uncertain sends found in their mailbox's Sent folder and settled as sent.",
  });
  const followed = metrics.gauge({
    name: 'outflow_imap_mailboxes_followed',
    help: 'Mailboxes whose INBOX this replica follows.',
  });
  // A failure to publish loses nothing: the rows stay in the outbox for the sender's relay.
  const publish = async (outboxIds: string[]) => {
    await publishOutbox(infra.db, infra.producer, outboxIds).catch((error: unknown) =>
      logger.warn({ err: error }, 'publishing inbound events failed; the outbox relay will'),
    );
  };
  const secrets = secretBoxFromEnv(config);
  const deps: FollowerDeps = {
    inbound: {
      db: infra.db,
      logger,
      owner,
      replyMatchDays: config.REPLY_MATCH_DAYS,
      tokens: unsubscribeTokens(config.OUTFLOW_SECRET_KEYS, secrets.activeKeyId),
      publish,
    },
    sentFolder: {
      db: infra.db,
      logger,
      lookupMs: config.SENT_FOLDER_LOOKUP_MS,
      publish,
      onSettled: () => settled.inc(),
    },
    connect: {
      secrets,
      targets: imapTargetPolicy(smtpTargetPolicyFromEnv(config)),
      mode: config.OUTFLOW_MODE,
      timeoutMs: config.IMAP_TIMEOUT_MS,
    },
    logger,
    pollMs: config.IMAP_POLL_MS,
    onRecorded: (kind) => inbound.inc({ kind }),
  };

  const followers = new Map<string, InboxFollower>();
  const renew = async () => {
    const leased = await leaseMailboxes(infra.db, {
      owner,
      leaseMs: config.IMAP_LEASE_MS,
      max: config.IMAP_MAX_MAILBOXES,
    });
    const held = new Map(leased.map((mailbox) => [mailbox.mailbox_id, mailbox]));
    for (const [mailboxId, follower] of followers) {
      const now = held.get(mailboxId);
      if (now && now.updated_at.getTime() === follower.mailbox.updated_at.getTime()) continue;
      await follower.stop();
      followers.delete(mailboxId);
    }
    for (const mailbox of leased) {
      if (!followers.has(mailbox.mailbox_id)) followers.set(mailbox.mailbox_id, startInboxFollower(deps, mailbox));
    }
    followed.set(followers.size);
  };
  await renew();
  const ticker = startTicker({
    name: 'imap-leases',
    intervalMs: Math.floor(config.IMAP_LEASE_MS / 3),
    logger,
    tick: renew,
  });
  return {
    intake: [
      ticker,
      {
        name: 'inbox-followers',
        async stop() {
          await Promise.all([...followers.values()].map((follower) => follower.stop()));
          await releaseMailboxes(infra.db, owner, [...followers.keys()]);
          followers.clear();
        },
      },
    ],
  };
}
