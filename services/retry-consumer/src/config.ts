import { positiveInt, reconcileEnv, z } from '@outflow/config';

export const retryConsumerEnv = {
  ...reconcileEnv,
  /** The first retry's delay; each next one doubles. Default 60 000 ms (1, 2, 4 minutes: long enough for greylisting). */
  RETRY_BASE_DELAY_MS: positiveInt.default(60_000),
  /** Longest delay between retries. Default 3 600 000 ms. */
  RETRY_MAX_DELAY_MS: positiveInt.default(3_600_000),
  /** Random spread of each delay, as a fraction (0.2 = ±20%), so retries of one outage do not return together. */
  RETRY_JITTER: z.coerce.number({ message: 'must be a number' }).min(0).max(1).default(0.2),
};
