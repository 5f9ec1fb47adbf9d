import { dayEnv, reconcileEnv } from '@outflow/config';

export const followupSchedulerEnv = { ...dayEnv, ...reconcileEnv };
