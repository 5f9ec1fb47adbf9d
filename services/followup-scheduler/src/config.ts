import { dayEnv, positiveInt, reconcileEnv } from '@outflow/config';

export const followupSchedulerEnv = {
  ...dayEnv,
  ...reconcileEnv,
  /** followup-events of one partition handled at once (their statements coalesce into batches). Default 64. */
  SCHEDULER_MESSAGE_CONCURRENCY: positiveInt.default(64),
  /** Most events per coalesced scheduling statement. Default 200. */
  SCHEDULER_BATCH_SIZE: positiveInt.default(200),
};
