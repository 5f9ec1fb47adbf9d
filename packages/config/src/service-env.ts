import { z } from 'zod';
import {
  databaseUrl,
  envBoolean,
  failpointList,
  httpUrl,
  kafkaBrokers,
  logLevel,
  port,
  positiveInt,
} from './env-schemas.js';

/** PostgreSQL settings every service that touches the database declares. */
export const databaseEnv = {
  /** Required. postgres://user:password@host:5432/database */
  DATABASE_URL: databaseUrl,
  /** Connections in this process's pool. Default 10. */
  DATABASE_POOL_SIZE: positiveInt.default(10),
  /**
   * Prepare the hot statements once per connection instead of planning them on every call. Default true; false
   * behind a pooler in transaction mode without prepared statement support (PgBouncer before 1.21).
   */
  DATABASE_PREPARED_STATEMENTS: envBoolean.default(true),
  /**
   * The role the service's statements run as, when its login holds several (each service has one: outflow_api,
   * outflow_producer, outflow_sender, outflow_scheduler, outflow_retry). Default: the login's own role, for a
   * login that is itself a member of its service's role.
   */
  DATABASE_ROLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be a role name (lowercase letters, digits and _)')
    .optional(),
};

/** Kafka and schema registry settings. */
export const kafkaEnv = {
  /** Required. Comma-separated bootstrap brokers, host:port. */
  KAFKA_BROKERS: kafkaBrokers,
  /** Required. The Confluent-compatible schema registry. */
  SCHEMA_REGISTRY_URL: httpUrl,
  /**
   * Prepended to every topic name and consumer group id, for environments sharing one cluster: each then has its
   * own topics and its own groups. Default none.
   */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'may only contain letters, digits, ".", "_" and "-"')
    .default(''),
  /**
   * How long a consumer may miss heartbeats before its group hands its partitions to another member: the longest
   * a crashed or frozen member's partitions wait. Default 30 000 ms; must lie within the broker's
   * group.min.session.timeout.ms and group.max.session.timeout.ms (6 000 to 1 800 000 by default).
   */
  KAFKA_SESSION_TIMEOUT_MS: positiveInt.default(30_000),
  /**
   * A consumer's fetch waits at the broker until this many bytes are ready (or KAFKA_FETCH_MAX_WAIT_MS passed):
   * fewer, fuller fetches under load. Default 1 (answer as soon as anything is ready).
   */
  KAFKA_FETCH_MIN_BYTES: positiveInt.default(1),
  /** The longest a fetch waits at the broker for KAFKA_FETCH_MIN_BYTES (and, when idle, for anything). Default 1 000 ms. */
  KAFKA_FETCH_MAX_WAIT_MS: positiveInt.default(1_000),
};

/** Process settings every service declares; the health port default differs per service. */
export function processEnv(defaultHealthPort: number) {
  return {
    /** fatal, error, warn, info, debug, trace or silent. Default info. */
    LOG_LEVEL: logLevel.default('info'),
    /** Port of GET /healthz and /readyz. */
    HEALTH_PORT: port.default(defaultHealthPort),
    /** Interface the health server binds. Default 127.0.0.1; containers use 0.0.0.0. */
    HEALTH_HOST: z.string().default('127.0.0.1'),
    /** How long a graceful shutdown may take before the process is forced out. Default 25 000 ms. */
    SHUTDOWN_GRACE_MS: positiveInt.default(25_000),
    /** Fault injection only (the fault suite sets it): crash points, `name[=probability]`, comma separated. */
    OUTFLOW_FAILPOINTS: failpointList,
  };
}

/**
 * Production or development. Development lets a mailbox send SMTP credentials to a server without TLS (a local
 * test server); production refuses such a mailbox at the API and never does it in the sender.
 */
export const modeEnv = {
  /**
   * production (default) or development: development lets mailboxes use SMTP servers on this machine or a private
   * network, and send credentials to them without TLS. The local stack, the demo and the tests run in development.
   */
  OUTFLOW_MODE: z.enum(['production', 'development']).default('production'),
};
export type OutflowMode = z.infer<typeof modeEnv.OUTFLOW_MODE>;

/** The length of a "day" for sequences and capacity. */
export const dayEnv = {
  /** Seconds in a day: 86 400 in production; demos and tests shrink it (wait_days and daily capacity scale). */
  OUTFLOW_DAY_SECONDS: positiveInt.default(86_400),
};

/** How due emails are claimed and published: the producer's tick and `outflow drain` take the same settings. */
export const claimEnv = {
  /** Messages per Kafka produce request and per kafka_batches row. Default 50. */
  PRODUCER_BATCH_SIZE: positiveInt.default(50),
  /** Most emails one mailbox may have claimed in one tick (on top of its capacity limit). Default 500. */
  PRODUCER_MAX_PER_MAILBOX: positiveInt.default(500),
  /**
   * Most emails claimed and not yet settled (queued in Kafka or being sent), across all mailboxes: a tick claims
   * only what this leaves (two replicas ticking at the same instant may each take what was left). It keeps a large
   * backlog (after a pause, a bulk enrollment) from being claimed at once and then waiting in Kafka past
   * PRODUCER_REPUBLISH_AFTER_MS. Keep it below what the senders send in that time. Default 10 000.
   */
  PRODUCER_MAX_QUEUED: positiveInt.default(10_000),
};

/**
 * Reconciliation: work whose Kafka event never arrived (a lost broker, a truncated topic) is rebuilt from the
 * database by the service that owns it.
 */
export const reconcileEnv = {
  /** How often to look for work whose event went missing. Default 30 000 ms. */
  RECONCILE_INTERVAL_MS: positiveInt.default(30_000),
  /**
   * How long work may wait for its event before it is rebuilt from the database. Longer than the normal
   * event path ever takes (rebuilding early is harmless, only wasted). Default 300 000 ms.
   */
  RECONCILE_AFTER_MS: positiveInt.default(300_000),
};

const samplers = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** OpenTelemetry tracing, under the standard OTEL_* names so a collector's usual settings apply unchanged. */
export const tracingEnv = {
  /**
   * Where spans go: otlp (default; on only when OTEL_EXPORTER_OTLP_ENDPOINT is set), zipkin (Zipkin's v2 JSON to
   * OTEL_EXPORTER_ZIPKIN_ENDPOINT) or none. Tracing off costs nothing: no SDK, no instrumentation loaded.
   */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'zipkin', 'none']).default('otlp'),
  /** An OTLP/HTTP endpoint (a collector, Tempo, Jaeger): spans go to `<endpoint>/v1/traces`. Default none. */
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  /** Zipkin's span endpoint, for OTEL_TRACES_EXPORTER=zipkin. */
  OTEL_EXPORTER_ZIPKIN_ENDPOINT: httpUrl.default('http://localhost:9411/api/v2/spans'),
  /** Headers sent with every export, `name=value` pairs separated by commas (e.g. an authorization token). */
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const headers: Record<string, string> = {};
      for (const pair of value.split(',').filter((part) => part.trim() !== '')) {
        const at = pair.indexOf('=');
        if (at <= 0) {
          ctx.addIssue({ code: 'custom', message: `"${pair.trim()}" is not name=value` });
          return z.NEVER;
        }
        headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
      }
      return headers;
    }),
  /** Which traces are recorded: the OpenTelemetry sampler names. Default parentbased_always_on. */
  OTEL_TRACES_SAMPLER: z.enum(samplers).default('parentbased_always_on'),
  /** The ratio for the traceidratio samplers, 0 to 1 (0.01 keeps one trace in a hundred). Default 1. */
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number({ message: 'must be a number from 0 to 1' })
    .min(0, 'must be a number from 0 to 1')
    .max(1, 'must be a number from 0 to 1')
    .default(1),
  /** The service.name resource attribute. Default the service's own name (smtp-sender, …). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /**
   * A span per PostgreSQL statement and outgoing HTTP call, under the span of the request or message that made
   * it. Default: true in the API, false in the four consumers, where keeping the active span across every await
   * (Node's AsyncLocalStorage) cost 30 % more CPU per email even at 1 % sampling; their own spans (each message,
   * each SMTP send, each claim) are traced either way.
   */
  OUTFLOW_TRACE_STATEMENTS: envBoolean.optional(),
};
export type TracingConfig = z.infer<z.ZodObject<typeof tracingEnv>>;
