import type { z } from '@outflow/config';
import { startConsumerLoop } from '@outflow/kafka';
import { startTicker } from '@outflow/runtime';
import type { ServiceContext, ServiceParts } from '@outflow/service-kit';
import type { followupSchedulerEnv } from './config.js';
import { scheduleNextStep } from './followups/followup.repository.js';
import { reconcileFollowups } from './followups/reconcile-followups.js';

export type FollowupSchedulerConfig = z.infer<z.ZodObject<typeof followupSchedulerEnv>>;

export async function startFollowupScheduler(
  { config, logger, infra }: ServiceContext<FollowupSchedulerConfig>,
  onFatal: (error: Error) => void,
): Promise<ServiceParts> {
  const loop = await startConsumerLoop({
    kafka: infra.kafka,
    codec: infra.codec,
    producer: infra.producer,
    logger,
    groupId: 'followup-scheduler',
    topic: 'followup-events',
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    partitionsConsumedConcurrently: 3,
    handle: async ({ payload }) => {
      const outcome = await scheduleNextStep(
        infra.db,
        {
          emailId: payload.email_id,
          sequenceContactId: payload.sequence_contact_id,
          sequenceId: payload.sequence_id,
          stepOrder: payload.step_order,
          sentAt: new Date(payload.sent_at),
        },
        config.OUTFLOW_DAY_SECONDS,
      );
      logger.debug({ emailId: payload.email_id, outcome }, 'follow-up handled');
    },
    onFatal,
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
