import type { z } from '@outflow/config';
import { consumerGroupOf } from '@outflow/contracts';
import { startConsumerLoop } from '@outflow/kafka';
import { startTicker } from '@outflow/runtime';
import type { ServiceContext, ServiceParts } from '@outflow/service-kit';
import type { retryConsumerEnv } from './config.js';
import { retryDelayMs } from './retries/backoff.js';
import { reconcileRetries } from './retries/reconcile-retries.js';
import { createRetryDecisions } from './retries/retry-metrics.js';
import { handleEmailRetry } from './retries/email-retry.handler.js';

export type RetryConsumerConfig = z.infer<z.ZodObject<typeof retryConsumerEnv>>;

export async function startRetryConsumer(
  { config, logger, infra, metrics }: ServiceContext<RetryConsumerConfig>,
  onFatal: (error: Error) => void,
): Promise<ServiceParts> {
  const settings = {
    baseMs: config.RETRY_BASE_DELAY_MS,
    maxMs: config.RETRY_MAX_DELAY_MS,
    jitter: config.RETRY_JITTER,
  };
  const delayFor = (retryCount: number) => retryDelayMs(retryCount, settings);
  const decisions = createRetryDecisions(metrics);
  const deps = { db: infra.db, logger, delayFor, decisions };
  const loop = await startConsumerLoop({
    kafka: infra.kafka,
    codec: infra.codec,
    producer: infra.producer,
    logger,
    groupId: consumerGroupOf['email-retries'],
    topic: 'email-retries',
    partitionsConsumedConcurrently: 3,
    handle: (message) => handleEmailRetry(deps, message),
    onFatal,
    metrics,
  });
  const reconciler = startTicker({
    name: 'retry-reconciler',
    intervalMs: config.RECONCILE_INTERVAL_MS,
    logger,
    tick: (isStopping) =>
      reconcileRetries(
        { db: infra.db, logger, decisions },
        { afterMs: config.RECONCILE_AFTER_MS, delayFor },
        isStopping,
      ),
  });
  return { intake: [{ name: 'email-retries-consumer', stop: () => loop.stop() }, reconciler] };
}
