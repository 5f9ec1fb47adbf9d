import { join } from 'node:path';
import { databaseUrl, envBoolean, httpUrl, kafkaBrokers, port, z } from '@outflow/config';
import type { RunningService } from '@outflow/runtime';
import type { Logger } from '@outflow/telemetry';
import { findRepoRoot } from '../repo-root.js';
import { startStack, type Stack } from '../stack.js';

/** The variables `npm run stack` and `npm run demo` share. */
export const stackEnv = {
  DATABASE_URL: databaseUrl.optional(),
  KAFKA_BROKERS: kafkaBrokers.optional(),
  SCHEMA_REGISTRY_URL: httpUrl.optional(),
  OUTFLOW_STATE_DIR: z.string().optional(),
  STACK_SMTP_PORT: port.default(1025),
  STACK_MAIL_UI_PORT: port.default(8025),
  STACK_REGISTRY_PORT: port.default(8081),
  STACK_ZIPKIN_PORT: port.default(9411),
  /** Zipkin, the services' trace backend (a JVM of ~300 MB): false leaves it out and the services untraced. */
  STACK_TRACING: envBoolean.default(true),
};

type StackEnv = z.infer<z.ZodObject<typeof stackEnv>>;

/**
 * Starts the stack for a CLI that owns the process through runService: a part dying on its own shuts the
 * process down with exit 1, except while it is already stopping (a signal sent to the whole process group
 * reaches the parts too, and that is not a failure).
 */
export async function startStackFromEnv(
  env: StackEnv,
  logger: Logger,
  owner: () => RunningService,
): Promise<{ stack: Stack; stateDir: string }> {
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
    zipkinPort: env.STACK_TRACING ? env.STACK_ZIPKIN_PORT : null,
    onFailure: (reason) => {
      if (owner().stopping) return;
      logger.error(reason);
      owner().shutdown('a stack part failed', 1);
    },
  });
  return { stack, stateDir };
}
