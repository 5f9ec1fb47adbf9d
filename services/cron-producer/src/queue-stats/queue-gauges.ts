import { sql } from 'kysely';
import { readInFlightEmailCounts, type Database } from '@outflow/db';
import { startTicker, type Stopper } from '@outflow/runtime';
import type { Logger, Metrics } from '@outflow/telemetry';
import { blockers, dueBacklog } from './due-backlog.js';
import { readCapacity, readMailboxBacklogs, readOutboxBacklog } from './queue-stats.repository.js';

export interface QueueGaugeOptions {
  db: Database;
  metrics: Metrics;
  logger: Logger;
  daySeconds: number;
  intervalMs: number;
  /** Mailboxes exported with a `mailbox` label: addresses, or all of them up to `maxLabelled`. */
  labelled: 'all' | readonly string[];
  maxLabelled: number;
}

/**
 * How long one read of a refresh may take: its interval, and at least 10 s (a short interval only makes refreshes
 * frequent; the next waits for the one running). Past it, PostgreSQL cancels the read and the figures stay as they
 * were (outflow_queue_stats_timestamp_seconds stops moving).
 */
function statementTimeoutMs(intervalMs: number): number {
  return Math.max(intervalMs, 10_000);
}

/**
 * The queue's state as gauges, read from the database every `intervalMs` in the background (a scrape never waits
 * on the database, and a slow refresh is cut off by its statement timeout). Every producer replica exports the
 * same figures: query them with max(), not sum().
 */
export function startQueueGauges(options: QueueGaugeOptions): Stopper {
  const { metrics } = options;
  const emails = metrics.gauge({
    name: 'outflow_emails',
    help: 'Emails by status, for the statuses with work ahead: scheduled, queued, sending, retry_pending, uncertain.',
    labelNames: ['status'],
  });
  const due = metrics.gauge({
    name: 'outflow_emails_due',
    help: 'Scheduled emails whose time has come, by what holds them: none (they wait their turn), sequence, mailbox, capacity.',
    labelNames: ['blocked_by'],
  });
  const dueWait = metrics.gauge({
    name: 'outflow_emails_due_wait_seconds',
    help: 'How long the oldest due email that nothing holds back has waited to be claimed (0 when none waits).',
  });
  const outboxMessages = metrics.gauge({
    name: 'outflow_outbox_messages',
    help: 'Messages written to the outbox and not yet published to Kafka.',
  });
  const outboxOldest = metrics.gauge({
    name: 'outflow_outbox_oldest_seconds',
    help: 'How long the oldest unpublished outbox message has waited (0 when none).',
  });
  const mailboxes = metrics.gauge({
    name: 'outflow_mailboxes',
    help: 'Mailboxes by status: active, paused, disabled.',
    labelNames: ['status'],
  });
  const atCapacity = metrics.gauge({
    name: 'outflow_mailboxes_at_capacity',
    help: 'Active mailboxes that used their whole capacity for their local day.',
  });
  const capacity = metrics.gauge({
    name: 'outflow_daily_capacity',
    help: "Active mailboxes' capacity for their local day: `limit` summed, and how much is `used` (sent and reserved).",
    labelNames: ['kind'],
  });
  const mailboxCapacity = metrics.gauge({
    name: 'outflow_mailbox_daily_capacity',
    help: 'The daily capacity of each mailbox named in METRICS_MAILBOXES: its `limit`, and how much is `used` today.',
    labelNames: ['mailbox', 'kind'],
  });
  const refreshed = metrics.gauge({
    name: 'outflow_queue_stats_timestamp_seconds',
    help: 'When the queue figures above were last read from the database (Unix seconds).',
  });

  let warnedAboutLabels = false;
  const refresh = async (): Promise<void> => {
    const stats = await options.db.transaction().execute(async (trx) => {
      await sql`set local statement_timeout = ${sql.lit(statementTimeoutMs(options.intervalMs))}`.execute(trx);
      return {
        inFlight: await readInFlightEmailCounts(trx),
        backlog: dueBacklog(await readMailboxBacklogs(trx, options.daySeconds)),
        outbox: await readOutboxBacklog(trx),
        capacity: await readCapacity(trx, {
          daySeconds: options.daySeconds,
          labelled: options.labelled,
          maxLabelled: options.maxLabelled,
        }),
      };
    });
    emails.set({ status: 'scheduled' }, stats.backlog.scheduled);
    for (const [status, count] of Object.entries(stats.inFlight)) emails.set({ status }, count);
    for (const blocker of blockers) due.set({ blocked_by: blocker }, stats.backlog.due[blocker]);
    dueWait.set(stats.backlog.oldestSendableSeconds);
    outboxMessages.set(stats.outbox.messages);
    outboxOldest.set(stats.outbox.oldestSeconds);
    for (const [status, count] of Object.entries(stats.capacity.total.mailboxes)) mailboxes.set({ status }, count);
    atCapacity.set(stats.capacity.total.atCapacity);
    capacity.set({ kind: 'limit' }, stats.capacity.total.capacity);
    capacity.set({ kind: 'used' }, stats.capacity.total.used);
    // Replaced whole: a mailbox paused or renamed since the last refresh leaves no stale series behind.
    mailboxCapacity.reset();
    for (const row of stats.capacity.mailboxes) {
      mailboxCapacity.set({ mailbox: row.mailbox, kind: 'limit' }, row.capacity);
      mailboxCapacity.set({ mailbox: row.mailbox, kind: 'used' }, row.used);
    }
    if (options.labelled === 'all' && stats.capacity.mailboxes.length >= options.maxLabelled && !warnedAboutLabels) {
      warnedAboutLabels = true;
      options.logger.warn(
        { labelled: options.maxLabelled, active: stats.capacity.total.mailboxes.active },
        `METRICS_MAILBOXES=* labels only the first ${options.maxLabelled} mailboxes by address; name the ones to watch`,
      );
    }
    refreshed.set(Date.now() / 1000);
  };
  return startTicker({ name: 'queue-stats', intervalMs: options.intervalMs, logger: options.logger, tick: refresh });
}
