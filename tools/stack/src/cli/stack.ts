import { join } from 'node:path';
import { logLevel, parseEnv } from '@outflow/config';
import { runService } from '@outflow/runtime';
import { createLogger } from '@outflow/telemetry';
import type { StackEndpoints } from '../stack.js';
import { stackEnv, startStackFromEnv } from './stack-env.js';

// `npm run stack`: the local stack for development, demos, tests and benchmarks. Ctrl-C stops all of it.
const logger = createLogger({ service: 'stack', level: process.env['LOG_LEVEL'] === 'debug' ? 'debug' : 'info' });

function describe(endpoints: StackEndpoints, stateDir: string): string {
  return [
    '',
    'Outflow local stack is up (Ctrl-C stops everything):',
    `  PostgreSQL       ${endpoints.databaseUrl}`,
    `  Kafka brokers    ${endpoints.kafkaBrokers.join(',')}${endpoints.kafkaVersion ? `  (Apache Kafka ${endpoints.kafkaVersion}, KRaft, one node; its data goes with the stack)` : ''}`,
    `  Schema registry  ${endpoints.schemaRegistryUrl}`,
    `  SMTP sink        ${endpoints.smtp.host}:${endpoints.smtp.port}  (accepts any login, no TLS)`,
    `  Received mail    ${endpoints.mailViewerUrl}`,
    ...(endpoints.zipkinUrl ? [`  Traces (Zipkin)  ${endpoints.zipkinUrl}/zipkin/`] : []),
    `  Settings         ${join(stateDir, 'stack.json')} and stack.env (set -a; . ${join(stateDir, 'stack.env')}; set +a)`,
    '',
  ].join('\n');
}

const service = runService({
  logger,
  graceMs: 20_000,
  start: async () => {
    const env = parseEnv({ ...stackEnv, LOG_LEVEL: logLevel.default('info') });
    const { stack, stateDir } = await startStackFromEnv(env, logger, () => service);
    process.stdout.write(describe(stack.endpoints, stateDir));
    return stack.stoppers;
  },
});
