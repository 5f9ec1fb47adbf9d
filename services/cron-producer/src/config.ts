import { dayEnv, positiveInt, z } from '@outflow/config';

/** Most mailboxes `METRICS_MAILBOXES=*` labels: past it, per-mailbox series would cost Prometheus more than they tell. */
export const MAX_LABELLED_MAILBOXES = 500;

/**
 * `*` (every active mailbox, up to MAX_LABELLED_MAILBOXES) or mailbox addresses, comma separated; empty: none.
 */
const mailboxLabels = z
  .string()
  .default('')
  .transform((value, ctx): 'all' | string[] => {
    if (value.trim() === '*') return 'all';
    const addresses = value
      .split(',')
      .map((part) => part.trim().toLowerCase())
      .filter((part) => part !== '');
    const invalid = addresses.find((address) => !/^[^@\s]+@[^@\s]+$/.test(address));
    if (invalid !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${invalid}" is not a mailbox address (use addresses, comma separated, or *)`,
      });
      return z.NEVER;
    }
    return [...new Set(addresses)];
  });

/** cron-producer's own variables (on top of the shared database, Kafka and process ones). */
export const cronProducerEnv = {
  ...dayEnv,
  /** How often due emails are claimed and published. Default 1 000 ms (the seed's 5 minutes also works). */
  PRODUCER_TICK_MS: positiveInt.default(1_000),
  /** Messages per Kafka produce request and per kafka_batches row. Default 50. */
  PRODUCER_BATCH_SIZE: positiveInt.default(50),
  /** Most emails one mailbox may have claimed in one tick (on top of its capacity limit). Default 500. */
  PRODUCER_MAX_PER_MAILBOX: positiveInt.default(500),
  /**
   * Most emails claimed and not yet settled (queued in Kafka or being sent), across all mailboxes: a tick claims
   * only what this leaves (two replicas ticking at the same instant may each take what was left). It keeps a large backlog (after a pause, a bulk enrollment)
   * from being claimed at once and then waiting in Kafka past PRODUCER_REPUBLISH_AFTER_MS. Keep it below what the
   * senders send in that time. Default 10 000.
   */
  PRODUCER_MAX_QUEUED: positiveInt.default(10_000),
  /** A claimed email still `queued` after this long is published again (its message was lost). Default 120 000. */
  PRODUCER_REPUBLISH_AFTER_MS: positiveInt.default(120_000),
  /**
   * How often the producer looks for sends whose lease expired and claims whose message was lost (the claim itself
   * runs every tick). Both searches are costly on a large, busy table and find something only after a crash, so
   * they do not run every tick. A lost email waits up to this much on top of its timeout. Default 5 000.
   */
  PRODUCER_RECOVERY_INTERVAL_MS: positiveInt.default(5_000),
  /**
   * How often the queue's figures (emails by status, the due backlog, the outbox, mailbox capacity) are read from the
   * database for /metrics. Each refresh reads partial indexes: its cost follows the live emails, not the sent ones.
   * Default 15 000.
   */
  QUEUE_STATS_INTERVAL_MS: positiveInt.default(15_000),
  /** Mailboxes whose capacity is exported with a `mailbox` label: addresses, comma separated, or `*`. Default none. */
  METRICS_MAILBOXES: mailboxLabels,
};
