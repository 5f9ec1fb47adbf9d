import { join } from 'node:path';
import { databaseUrl, httpUrl, kafkaBrokers, logLevel, parseEnv, port, z } from '@outflow/config';
import { runService } from '@outflow/runtime';
import { createLogger } from '@outflow/telemetry';
import { findRepoRoot } from '../repo-root.js';
import { startStack, type StackEndpoints } from '../stack.js';

// `pnpm stack`: the local stack for development, demos, tests and benchmarks. Ctrl-C stops all of it.
const logger = createLogger({ service: 'stack', level: process.env['LOG_LEVEL'] === 'debug' ? 'debug' : 'info' });

function describe(endpoints: StackEndpoints, stateDir: string): string {
  return [
    '',
    'Outflow local stack is up (Ctrl-C stops everything):',
    `  PostgreSQL       ${endpoints.databaseUrl}`,
    `  Kafka brokers    ${endpoints.kafkaBrokers.join(',')}${endpoints.kafkaDevBroker ? '  (librdkafka mock cluster: dev/test only)' : ''}`,
    `  Schema registry  ${endpoints.schemaRegistryUrl}`,
    `  SMTP sink        ${endpoints.smtp.host}:${endpoints.smtp.port}  (accepts any login, no TLS)`,
    `  Received mail    ${endpoints.mailViewerUrl}`,
    `  Settings         ${join(stateDir, 'stack.json')} and stack.env (set -a; . ${join(stateDir, 'stack.env')}; set +a)`,
    '',
  ].join('\n');
}

const service = runService({
  logger,
  graceMs: 20_000,
  start: async () => {
    const env = parseEnv({
      DATABASE_URL: databaseUrl.optional(),
      KAFKA_BROKERS: kafkaBrokers.optional(),
      SCHEMA_REGISTRY_URL: httpUrl.optional(),
      OUTFLOW_STATE_DIR: z.string().optional(),
      STACK_SMTP_PORT: port.default(1025),
      STACK_MAIL_UI_PORT: port.default(8025),
      STACK_REGISTRY_PORT: port.default(8081),
      LOG_LEVEL: logLevel.default('info'),
    });
    const stateDir = env.OUTFLOW_STATE_DIR ?? join(findRepoRoot(), '.outflow');
    const stack = await startStack({
      logger,
      stateDir,
      databaseUrl: env.DATABASE_URL,
      kafkaBrokers: env.KAFKA_BROKERS,
      schemaRegistryUrl: env.SCHEMA_REGISTRY_URL,
      smtpPort: env.STACK_SMTP_PORT,
      mailViewerPort: env.STACK_MAIL_UI_PORT,
      registryPort: env.STACK_REGISTRY_PORT,
      onFailure: (reason) => {
        // A part dying while we stop (e.g. a signal sent to the whole process group) is not a failure.
        if (service.stopping) return;
        logger.error(reason);
        service.shutdown('a stack part failed', 1);
      },
    });
    process.stdout.write(describe(stack.endpoints, stateDir));
    return stack.stoppers;
  },
});
