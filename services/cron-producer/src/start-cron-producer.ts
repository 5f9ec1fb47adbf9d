import { hostname } from 'node:os';
import { startTicker } from '@outflow/runtime';
import type { ServiceContext, ServiceParts } from '@outflow/service-kit';
import type { z } from '@outflow/config';
import { createProducerTick } from './claims/producer.tick.js';
import { measureTick } from './claims/tick-metrics.js';
import { MAX_LABELLED_MAILBOXES, type cronProducerEnv } from './config.js';
import { startQueueGauges } from './queue-stats/queue-gauges.js';

export type CronProducerConfig = z.infer<z.ZodObject<typeof cronProducerEnv>>;

/**
 * Starts the producer's tick and the queue gauges' refresh; returned as the service's intake so shutdown stops
 * them first.
 */
export async function startCronProducer({
  config,
  logger,
  infra,
  metrics,
}: ServiceContext<CronProducerConfig>): Promise<ServiceParts> {
  const producerId = `${hostname()}:${process.pid}`;
  const tick = measureTick(
    metrics,
    createProducerTick(
      { db: infra.db, producer: infra.producer, logger, producerId },
      {
        daySeconds: config.OUTFLOW_DAY_SECONDS,
        batchSize: config.PRODUCER_BATCH_SIZE,
        maxPerMailbox: config.PRODUCER_MAX_PER_MAILBOX,
        maxQueued: config.PRODUCER_MAX_QUEUED,
        republishAfterMs: config.PRODUCER_REPUBLISH_AFTER_MS,
        recoveryIntervalMs: config.PRODUCER_RECOVERY_INTERVAL_MS,
      },
    ),
  );
  const ticker = startTicker({ name: 'producer-tick', intervalMs: config.PRODUCER_TICK_MS, logger, tick });
  const queueGauges = startQueueGauges({
    db: infra.db,
    metrics,
    logger,
    daySeconds: config.OUTFLOW_DAY_SECONDS,
    intervalMs: config.QUEUE_STATS_INTERVAL_MS,
    labelled: config.METRICS_MAILBOXES,
    maxLabelled: MAX_LABELLED_MAILBOXES,
  });
  return { intake: [ticker, queueGauges] };
}
