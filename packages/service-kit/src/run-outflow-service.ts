import { databaseEnv, kafkaEnv, parseEnv, processEnv, type Env, type z } from '@outflow/config';
import { runService, startHealthServer, type HealthCheck, type RunningService, type Stopper } from '@outflow/runtime';
import { createLogger, type Logger } from '@outflow/telemetry';
import { connectInfrastructure, type Infrastructure } from './connect-infrastructure.js';

const baseShape = (defaultHealthPort: number) => ({ ...databaseEnv, ...kafkaEnv, ...processEnv(defaultHealthPort) });

export type BaseConfig = z.infer<z.ZodObject<ReturnType<typeof baseShape>>>;

export interface ServiceContext<Extra> {
  config: BaseConfig & Extra;
  logger: Logger;
  infra: Infrastructure;
}

export interface ServiceParts {
  /** What the service started that takes in work (HTTP server, consumers, timers): stopped first. */
  intake: Stopper[];
  /** Extra readiness checks. */
  checks?: HealthCheck[];
}

export interface RunOutflowServiceOptions<Shape extends z.ZodRawShape> {
  /** Service name: the log `service` field, the Kafka client id and the consumer group prefix. */
  name: string;
  defaultHealthPort: number;
  /** This service's own variables, on top of the shared database, Kafka and process ones. */
  env?: Shape;
  start: (context: ServiceContext<z.infer<z.ZodObject<Shape>>>) => Promise<ServiceParts>;
  environment?: Env;
}

/**
 * The shared composition of an Outflow service: parse the environment (a bad value stops start-up naming the
 * variable), connect to PostgreSQL, Kafka and the registry (fail fast when unreachable), start the service's
 * own parts and the health server, and stop everything in order on SIGTERM: intake, health, producer, pool.
 */
export function runOutflowService<Shape extends z.ZodRawShape = Record<never, never>>(
  options: RunOutflowServiceOptions<Shape>,
): RunningService {
  const environment = options.environment ?? process.env;
  const level = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(environment['LOG_LEVEL'] ?? '')
    ? (environment['LOG_LEVEL'] as 'info')
    : 'info';
  const logger = createLogger({ service: options.name, level });
  let graceMs = 25_000;
  const graceFromEnv = Number(environment['SHUTDOWN_GRACE_MS']);
  if (Number.isInteger(graceFromEnv) && graceFromEnv > 0) graceMs = graceFromEnv;

  return runService({
    logger,
    graceMs,
    start: async () => {
      const config = parseEnv(
        { ...baseShape(options.defaultHealthPort), ...(options.env ?? {}) },
        environment,
      ) as BaseConfig & z.infer<z.ZodObject<Shape>>;
      const infra = await connectInfrastructure(config, { logger, clientId: options.name });
      const started: Stopper[] = [];
      try {
        const parts = await options.start({ config, logger, infra });
        started.push(...parts.intake);
        const health = await startHealthServer({
          port: config.HEALTH_PORT,
          host: config.HEALTH_HOST,
          checks: [...infra.checks, ...(parts.checks ?? [])],
          onCheckFailed: (check, error) => logger.warn({ check, err: error }, 'readiness check failed'),
        });
        logger.info({ healthPort: health.port }, 'health endpoint listening');
        return [...parts.intake, health, ...infra.stoppers];
      } catch (error) {
        for (const stopper of [...started, ...infra.stoppers]) await stopper.stop().catch(() => undefined);
        throw error;
      }
    },
  });
}
