import { databaseEnv, kafkaEnv, parseEnv, processEnv, tracingEnv, type Env, type z } from '@outflow/config';
import {
  configureFailpoints,
  runService,
  startHealthServer,
  type HealthCheck,
  type RunningService,
  type Stopper,
} from '@outflow/runtime';
import { createLogger, createMetrics, type Logger, type Metrics } from '@outflow/telemetry';
import { stopTracing } from '@outflow/telemetry/tracing';
import { connectInfrastructure, type Infrastructure } from './connect-infrastructure.js';

const baseShape = (defaultHealthPort: number) => ({
  ...databaseEnv,
  ...kafkaEnv,
  ...processEnv(defaultHealthPort),
  // Read by startTracing before the service loads; parsed here too so a malformed value stops start-up by name.
  ...tracingEnv,
});

type BaseConfig = z.infer<z.ZodObject<ReturnType<typeof baseShape>>>;

export interface ServiceContext<Extra> {
  config: BaseConfig & Extra;
  logger: Logger;
  infra: Infrastructure;
  /** The service's metrics, served on its health port at /metrics. */
  metrics: Metrics;
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
  // The logger and the grace period exist before the full parse, which reports a bad value through them: both are
  // read with their own schemas here, a bad value falling back to the default until the full parse names it.
  const { LOG_LEVEL, SHUTDOWN_GRACE_MS } = processEnv(options.defaultHealthPort);
  const logger = createLogger({ service: options.name, level: orDefault(LOG_LEVEL, environment['LOG_LEVEL']) });
  const graceMs = orDefault(SHUTDOWN_GRACE_MS, environment['SHUTDOWN_GRACE_MS']);

  return runService({
    logger,
    graceMs,
    start: async () => {
      const config = parseEnv(
        { ...baseShape(options.defaultHealthPort), ...(options.env ?? {}) },
        environment,
      ) as BaseConfig & z.infer<z.ZodObject<Shape>>;
      configureFailpoints(config.OUTFLOW_FAILPOINTS);
      const metrics = createMetrics(options.name);
      const infra = await connectInfrastructure(config, { logger, clientId: options.name, metrics });
      const started: Stopper[] = [];
      try {
        const parts = await options.start({ config, logger, infra, metrics });
        started.push(...parts.intake);
        const health = await startHealthServer({
          port: config.HEALTH_PORT,
          host: config.HEALTH_HOST,
          checks: [...infra.checks, ...(parts.checks ?? [])],
          onCheckFailed: (check, error) => logger.warn({ check, err: error }, 'readiness check failed'),
          metrics: metrics.registry,
        });
        logger.info({ healthPort: health.port }, 'health endpoint listening');
        // Spans are exported last: those of the shutdown itself (the last messages, the last writes) included.
        return [...parts.intake, health, ...infra.stoppers, { name: 'tracing', stop: stopTracing }];
      } catch (error) {
        for (const stopper of [...started, ...infra.stoppers]) await stopper.stop().catch(() => undefined);
        await stopTracing().catch(() => undefined);
        throw error;
      }
    },
  });
}

/** The value a schema parses from `raw`, or the schema's default when `raw` is invalid. */
function orDefault<T>(schema: z.ZodType<T>, raw: string | undefined): T {
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : schema.parse(undefined);
}
