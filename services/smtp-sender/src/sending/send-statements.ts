import type { Database } from '@outflow/db';
import { publishOutbox, type TypedProducer } from '@outflow/kafka';
import { createCoalescer } from '@outflow/runtime';
import {
  findSendContexts,
  recordSentMany,
  startSendingMany,
  type SendStart,
  type SendContext,
  type SentEmail,
} from './send.repository.js';

/**
 * The statements every send makes, each coalesced across the sends in flight (group commit): under load one
 * statement (or transaction) serves a whole batch of emails, which is what the database and the syscall budget
 * can afford; a lone send still goes out at once.
 */
export interface SendStatements {
  context(emailId: string): Promise<SendContext | undefined>;
  start(claim: SendStart): Promise<{ attempts: number; smtpMessageId: string } | undefined>;
  recordSent(sent: SentEmail): Promise<{ sentAt: Date; outboxIds: string[] } | undefined>;
  /** Publishes committed outbox rows (rows another relay holds are left to it). */
  publish(outboxIds: string[]): Promise<void>;
}

export function createSendStatements(options: {
  db: Database;
  producer: TypedProducer;
  leaseMs: number;
  /** Most emails per statement. */
  maxBatch: number;
}): SendStatements {
  const { db, producer, leaseMs, maxBatch } = options;
  return {
    context: createCoalescer({ maxBatch, flush: (emailIds: string[]) => findSendContexts(db, emailIds) }),
    start: createCoalescer({
      maxBatch,
      flush: (claims: SendStart[]) => startSendingMany(db, claims, leaseMs),
    }),
    recordSent: createCoalescer({ maxBatch, flush: (sends: SentEmail[]) => recordSentMany(db, sends) }),
    publish: createCoalescer({
      maxBatch,
      flush: async (batches: string[][]) => {
        await publishOutbox(db, producer, batches.flat());
        return batches.map(() => undefined);
      },
    }),
  };
}
