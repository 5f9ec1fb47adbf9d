import { afterAll, beforeAll, expect } from '@jest/globals';
import { createApiKey } from '@outflow/db';
import { createTestDatabase, type TestDatabase } from '@outflow/db/testing';
import { startPipeline, startTestStack, type Pipeline, type ServiceName, type TestStack } from '@outflow/stack';
import { apiClient } from './api-client.js';

export interface RunningPipeline {
  stack: TestStack;
  database: TestDatabase;
  pipeline: Pipeline;
  /** The API with a key of its own. */
  api: ReturnType<typeof apiClient>;
}

/**
 * A test file's pipeline: Kafka, a registry and an SMTP sink, a database of its own and the services named, started
 * before its tests and stopped after them, every service expected to exit 0. Its parts are set once `beforeAll` ran.
 */
export function runningPipeline(options: {
  services: readonly ServiceName[];
  env?: Record<string, string>;
}): RunningPipeline {
  const running = {} as RunningPipeline;
  beforeAll(async () => {
    running.stack = await startTestStack();
    running.database = await createTestDatabase();
    running.pipeline = await startPipeline({
      databaseUrl: running.database.url,
      kafkaBrokers: running.stack.broker.brokers,
      schemaRegistryUrl: running.stack.registry.url,
      env: { KAFKA_TOPIC_PREFIX: running.stack.topicPrefix, PRODUCER_TICK_MS: '100', ...options.env },
      services: options.services,
    });
    running.api = apiClient(running.pipeline.apiUrl, (await createApiKey(running.database.db, 'e2e')).key);
  }, 120_000);

  afterAll(async () => {
    const codes = await running.pipeline?.stop();
    await running.database?.drop();
    await running.stack?.close();
    if (codes) expect(Object.values(codes).every((code) => code === 0)).toBe(true);
  });
  return running;
}
