import { claimEnv, dayEnv, positiveInt, z } from '@outflow/config';

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
  ...claimEnv,
  /** How often due emails are claimed and published. Default 1 000 ms (the seed's 5 minutes also works). */
  PRODUCER_TICK_MS: positiveInt.default(1_000),
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
