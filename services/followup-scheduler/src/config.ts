import { dayEnv } from '@outflow/config';

export const followupSchedulerEnv = { ...dayEnv };
