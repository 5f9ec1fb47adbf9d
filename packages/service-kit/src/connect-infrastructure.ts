import { assertDatabaseReachable, createDb, type Database } from '@outflow/db';
import {
  assertKafkaReachable,
  createKafka,
  createSchemaCodec,
  createTypedProducer,
  type KafkaHandle,
  type SchemaCodec,
  type TypedProducer,
} from '@outflow/kafka';
import type { HealthCheck, Stopper } from '@outflow/runtime';
import type { Logger, Metrics } from '@outflow/telemetry';
import { sql } from 'kysely';
import { poolMetrics } from './pool-metrics.js';

export interface InfrastructureConfig {
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
  DATABASE_PREPARED_STATEMENTS: boolean;
  DATABASE_ROLE?: string | undefined;
  KAFKA_BROKERS: string[];
  SCHEMA_REGISTRY_URL: string;
  KAFKA_TOPIC_PREFIX: string;
  KAFKA_SESSION_TIMEOUT_MS: number;
  KAFKA_FETCH_MIN_BYTES: number;
  KAFKA_FETCH_MAX_WAIT_MS: number;
}

export interface Infrastructure {
  db: Database;
  kafka: KafkaHandle;
  codec: SchemaCodec;
  producer: TypedProducer;
  /** Readiness checks for the health server. */
  checks: HealthCheck[];
  /** Close the producer, then the pool: run after intake and in-flight work have stopped. */
  stoppers: Stopper[];
}

/**
 * Connects a service to PostgreSQL, Kafka and the schema registry, failing fast with a message that names the
 * variable to fix when one is unreachable (instead of hanging in a retry loop), and registers the topic schemas.
 */
export async function connectInfrastructure(
  config: InfrastructureConfig,
  options: { logger: Logger; clientId: string; metrics: Metrics },
): Promise<Infrastructure> {
  await assertDatabaseReachable(config.DATABASE_URL, undefined, config.DATABASE_ROLE);
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: options.clientId,
    logger: options.logger,
    namePrefix: config.KAFKA_TOPIC_PREFIX,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    fetchMinBytes: config.KAFKA_FETCH_MIN_BYTES,
    fetchMaxWaitMs: config.KAFKA_FETCH_MAX_WAIT_MS,
  });
  await assertKafkaReachable(config.KAFKA_BROKERS);
  const codec = createSchemaCodec({ registryUrl: config.SCHEMA_REGISTRY_URL });
  try {
    await codec.registerAll();
  } catch (error) {
    throw new Error(
      `cannot register topic schemas at SCHEMA_REGISTRY_URL (${config.SCHEMA_REGISTRY_URL}): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const db = createDb({
    url: config.DATABASE_URL,
    maxConnections: config.DATABASE_POOL_SIZE,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    ...(config.DATABASE_ROLE ? { role: config.DATABASE_ROLE } : {}),
    applicationName: options.clientId,
    onPoolError: (error) => options.logger.warn({ err: error }, 'a database connection failed (the pool replaces it)'),
    monitor: poolMetrics(options.metrics),
  });
  const producer = await createTypedProducer({ kafka, codec });
  return {
    db,
    kafka,
    codec,
    producer,
    checks: [{ name: 'postgres', check: async () => void (await sql`select 1`.execute(db)) }],
    stoppers: [
      { name: 'kafka-producer', stop: () => producer.disconnect() },
      { name: 'postgres-pool', stop: () => db.destroy() },
    ],
  };
}
