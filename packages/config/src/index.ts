export { ConfigError } from './config-error.js';
export { parseEnv, type Env } from './parse-env.js';
export { databaseUrl, envBoolean, httpUrl, kafkaBrokers, logLevel, port, positiveInt } from './env-schemas.js';
export { z } from 'zod';
export {
  claimEnv,
  databaseEnv,
  dayEnv,
  kafkaEnv,
  modeEnv,
  processEnv,
  reconcileEnv,
  tracingEnv,
  type OutflowMode,
  type TracingConfig,
} from './service-env.js';
export {
  createSecretBox,
  imapPasswordBinding,
  secretBoxFromEnv,
  secretEnv,
  smtpPasswordBinding,
  type SecretBox,
} from './secret-box.js';
export { unsubscribeTokens, type UnsubscribeTokens } from './signed-token.js';
