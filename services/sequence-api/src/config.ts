import { dayEnv, modeEnv, port, positiveInt, secretEnv, z } from '@outflow/config';
import { smtpTargetEnv } from '@outflow/smtp-target';

export const sequenceApiEnv = {
  ...dayEnv,
  ...modeEnv,
  ...secretEnv,
  ...smtpTargetEnv,
  /** Port of the HTTP API. Default 3000. */
  API_PORT: port.default(3000),
  /** Interface the API binds. Default 127.0.0.1; containers use 0.0.0.0. */
  API_HOST: z.string().default('127.0.0.1'),
  /** Requests one API key may make per minute, per API process (429 with Retry-After beyond). Default 1 200. */
  API_RATE_LIMIT_PER_MINUTE: positiveInt.default(1_200),
};
