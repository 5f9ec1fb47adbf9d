import type { z } from '@outflow/config';
import { consumerGroupOf } from '@outflow/contracts';
import { startConsumerLoop } from '@outflow/kafka';
import { createCoalescer, startTicker } from '@outflow/runtime';
import type { ServiceContext, ServiceParts } from '@outflow/service-kit';
import type { followupSchedulerEnv } from './config.js';
import { handleFollowupEvent } from './followups/followup-event.handler.js';
import { scheduleNextSteps, type FollowupOutcome, type SentStep } from './followups/followup.repository.js';
import { reconcileFollowups } from './followups/reconcile-followups.js';

export type FollowupSchedulerConfig = z.infer<z.ZodObject<typeof followupSchedulerEnv>>;

export async function startFollowupScheduler(
  { config, logger, infra, metrics }: ServiceContext<FollowupSchedulerConfig>,
  onFatal: (error: Error) => void,
): Promise<ServiceParts> {
  // Events handled at once share one statement (group commit): under load one round trip schedules hundreds of
  // follow-ups.
  const schedule = createCoalescer({
    maxBatch: config.SCHEDULER_BATCH_SIZE,
    flush: (events: SentStep[]) => scheduleNextSteps(infra.db, events, config.OUTFLOW_DAY_SECONDS),
  });
  const outcomes = metrics.counter<'outcome'>({
    name: 'outflow_followups_total',
    help: 'Sent steps handled by the follow-up scheduler, by outcome: scheduled (the next step), completed (it was the last), already-done (a duplicate event), enrollment-inactive.',
    labelNames: ['outcome'],
    labelValues: {
      outcome: ['scheduled', 'completed', 'already-done', 'enrollment-inactive'] satisfies FollowupOutcome[],
    },
  });
  const loop = await startConsumerLoop({
    kafka: infra.kafka,
    codec: infra.codec,
    producer: infra.producer,
    logger,
    groupId: consumerGroupOf['followup-events'],
    topic: 'followup-events',
    partitionsConsumedConcurrently: 3,
    // Events of one partition are for different enrollments (an enrollment's next event only exists once this
    // one was handled), so their order does not matter.
    messageConcurrency: config.SCHEDULER_MESSAGE_CONCURRENCY,
    handle: (message) => handleFollowupEvent({ schedule, logger, outcomes }, message),
    onFatal,
    metrics,
  });
  const reconciler = startTicker({
    name: 'followup-reconciler',
    intervalMs: config.RECONCILE_INTERVAL_MS,
    logger,
    tick: (isStopping) =>
      reconcileFollowups(
        { db: infra.db, logger },
        { afterMs: config.RECONCILE_AFTER_MS, daySeconds: config.OUTFLOW_DAY_SECONDS },
        isStopping,
      ),
  });
  return {
    intake: [{ name: 'followup-events-consumer', stop: () => loop.stop() }, reconciler],
  };
}
