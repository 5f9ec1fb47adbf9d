import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createDb, mailboxLocalDay, type Database } from '@outflow/db';
import { createTestDatabase, seedEnrolledEmail, seedMoreEnrolledEmails, type TestDatabase } from '@outflow/db/testing';
import { testLogger } from '@outflow/stack';
import { createMetrics, type Metrics } from '@outflow/telemetry';
import { startQueueGauges } from '../src/queue-stats/queue-gauges.js';

const DAY_SECONDS = 86_400;

/** Resolves once the gauges' first refresh has completed (it runs in the background, right after start). */
async function firstRefresh(metrics: Metrics): Promise<void> {
  const refreshed = metrics.registry.getSingleMetric('outflow_queue_stats_timestamp_seconds')!;
  for (const deadline = Date.now() + 10_000; ((await refreshed.get()).values[0]?.value ?? 0) === 0;) {
    if (Date.now() > deadline) throw new Error('the queue gauges were not refreshed within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The queue's gauges over a real database holding one of each case: due emails waiting their turn, held by a full
 * mailbox, a paused mailbox and a paused sequence (whose emails share a mailbox with sendable ones and are older,
 * so they must not count as the oldest waiting), future emails, an uncertain and a retrying one, and the outbox.
 */
describe('the queue gauges', () => {
  let test: TestDatabase;
  // The gauges read as the producer's own role, with only its grants.
  let asProducer: Database;
  let fullMailbox: string;

  beforeAll(async () => {
    test = await createTestDatabase();
    asProducer = createDb({ url: test.url, maxConnections: 2, role: 'outflow_producer' });
    const db = test.db;
    // Waiting their turn: five due (the oldest for ten minutes), two in an hour.
    const open = await seedEnrolledEmail(db);
    await seedMoreEnrolledEmails(db, open, 4, '-600 seconds');
    await seedMoreEnrolledEmails(db, open, 2, '1 hour');
    // A mailbox that sent its whole day's capacity: three due emails wait for tomorrow.
    const full = await seedEnrolledEmail(db);
    await seedMoreEnrolledEmails(db, full, 2, '-60 seconds');
    await db.updateTable('mailboxes').set({ daily_capacity: 2 }).where('id', '=', full.mailbox.id).execute();
    await sql`
      insert into mailbox_daily_counts (mailbox_id, day, sent_count)
      select id, ${mailboxLocalDay(sql.ref('time_zone'), DAY_SECONDS)}, 2 from mailboxes where id = ${full.mailbox.id}
    `.execute(db);
    fullMailbox = full.mailbox.email.toLowerCase();
    // A paused mailbox: two due.
    const paused = await seedEnrolledEmail(db);
    await seedMoreEnrolledEmails(db, paused, 1, '-60 seconds');
    await db.updateTable('mailboxes').set({ status: 'paused' }).where('id', '=', paused.mailbox.id).execute();
    // A paused sequence whose four due emails, two hours old, are sent from the open mailbox.
    const held = await seedEnrolledEmail(db);
    await seedMoreEnrolledEmails(db, held, 3, '-7200 seconds');
    await db.updateTable('sequences').set({ status: 'paused' }).where('id', '=', held.sequence.id).execute();
    await db
      .updateTable('email_queues')
      .set({ mailbox_id: open.mailbox.id, scheduled_for: sql`now() - interval '2 hours'` })
      .where('sequence_id', '=', held.sequence.id)
      .execute();
    // One uncertain, one waiting for its retry.
    const uncertain = await seedEnrolledEmail(db);
    await db.updateTable('email_queues').set({ status: 'uncertain' }).where('id', '=', uncertain.email.id).execute();
    const retrying = await seedEnrolledEmail(db);
    await db.updateTable('email_queues').set({ status: 'retry_pending' }).where('id', '=', retrying.email.id).execute();
    // Two outbox messages, the older left behind for a minute.
    await sql`
      insert into outbox (topic, message_key, message_id, payload, created_at) values
        ('followup-events', 'k1', 'm1', '{}', now() - interval '60 seconds'), ('followup-events', 'k2', 'm2', '{}', now())
    `.execute(db);
  });
  afterAll(async () => {
    await asProducer?.destroy();
    await test?.drop();
  });

  /** Gauges on a registry of their own, read as the producer, refreshed once at start (the interval is long). */
  const startGauges = (labelled: 'all' | string[], maxLabelled: number) => {
    const metrics = createMetrics('cron-producer');
    const gauges = startQueueGauges({
      db: asProducer,
      metrics,
      logger: testLogger('queue-gauges-test'),
      daySeconds: DAY_SECONDS,
      intervalMs: 60_000,
      labelled,
      maxLabelled,
    });
    return { metrics, gauges };
  };

  it('exports emails by status, the due backlog by what holds it, the outbox and capacity, labelled where configured', async () => {
    const { metrics, gauges } = startGauges([fullMailbox], 500);
    const valuesOf = async (name: string) => {
      const metric = metrics.registry.getSingleMetric(name);
      if (!metric) throw new Error(`${name} is not registered`);
      return (await metric.get()).values.map(({ labels, value }) => ({ labels, value }));
    };
    const value = async (name: string, labels: Record<string, string> = {}) =>
      (await valuesOf(name)).find((entry) => Object.entries(labels).every(([k, v]) => entry.labels[k] === v))?.value;
    try {
      await firstRefresh(metrics);

      expect(await valuesOf('outflow_emails')).toEqual(
        expect.arrayContaining([
          { labels: { status: 'scheduled' }, value: 5 + 2 + 3 + 2 + 4 },
          { labels: { status: 'queued' }, value: 0 },
          { labels: { status: 'sending' }, value: 0 },
          { labels: { status: 'retry_pending' }, value: 1 },
          { labels: { status: 'uncertain' }, value: 1 },
        ]),
      );
      expect(await value('outflow_emails_due', { blocked_by: 'none' })).toBe(5);
      expect(await value('outflow_emails_due', { blocked_by: 'capacity' })).toBe(3);
      expect(await value('outflow_emails_due', { blocked_by: 'mailbox' })).toBe(2);
      expect(await value('outflow_emails_due', { blocked_by: 'sequence' })).toBe(4);
      // The open mailbox's oldest sendable email waited ten minutes; the paused sequence's two hours do not count.
      const waited = (await value('outflow_emails_due_wait_seconds'))!;
      expect(waited).toBeGreaterThanOrEqual(600);
      expect(waited).toBeLessThan(3_600);

      expect(await value('outflow_outbox_messages')).toBe(2);
      expect(await value('outflow_outbox_oldest_seconds')).toBeGreaterThanOrEqual(60);

      // Active: open, full, the paused sequence's own and the uncertain and retrying emails' mailboxes.
      expect(await value('outflow_mailboxes', { status: 'active' })).toBe(5);
      expect(await value('outflow_mailboxes', { status: 'paused' })).toBe(1);
      expect(await value('outflow_mailboxes_at_capacity')).toBe(1);
      expect(await value('outflow_daily_capacity', { kind: 'limit' })).toBe(4 * 30 + 2);
      expect(await value('outflow_daily_capacity', { kind: 'used' })).toBe(2);
      // Only the configured mailbox has series of its own.
      expect(await valuesOf('outflow_mailbox_daily_capacity')).toEqual([
        { labels: { mailbox: fullMailbox, kind: 'limit' }, value: 2 },
        { labels: { mailbox: fullMailbox, kind: 'used' }, value: 2 },
      ]);
    } finally {
      await gauges.stop();
    }
  });

  it('labels every active mailbox with *, up to the limit', async () => {
    const { metrics, gauges } = startGauges('all', 3);
    try {
      await firstRefresh(metrics);
    } finally {
      await gauges.stop();
    }
    const { values } = await metrics.registry.getSingleMetric('outflow_mailbox_daily_capacity')!.get();
    expect(new Set(values.map((entry) => entry.labels['mailbox'])).size).toBe(3);
  });
});
