export { ConfigError, type ConfigIssue } from './config-error.js';
export { parseEnv, type Env } from './parse-env.js';
export { databaseUrl, envBoolean, httpUrl, kafkaBrokers, logLevel, port, positiveInt } from './env-schemas.js';
export { z } from 'zod';
export { databaseEnv, kafkaEnv, processEnv } from './service-env.js';
