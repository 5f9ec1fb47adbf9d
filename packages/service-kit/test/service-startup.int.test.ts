import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@outflow/db/testing';
import { spawnTypeScript, startTestStack, type TestStack } from '@outflow/stack';

const entry = fileURLToPath(new URL('./fixtures/probe-service.ts', import.meta.url));

describe('service start-up and shutdown (a real process)', () => {
  let stack: TestStack;
  let database: TestDatabase;
  let goodEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    stack = await startTestStack();
    database = await createTestDatabase();
    goodEnv = {
      PATH: process.env['PATH'],
      DATABASE_URL: database.url,
      KAFKA_BROKERS: stack.broker.brokers.join(','),
      KAFKA_TOPIC_PREFIX: stack.topicPrefix,
      SCHEMA_REGISTRY_URL: stack.registry.url,
      HEALTH_PORT: '0',
      LOG_LEVEL: 'info',
    };
  });
  afterAll(async () => {
    await database?.drop();
    await stack?.close();
  });

  const start = (env: NodeJS.ProcessEnv) => spawnTypeScript(entry, { env });

  it('refuses to start without DATABASE_URL and KAFKA_BROKERS, naming both', async () => {
    const service = start({ ...goodEnv, DATABASE_URL: undefined, KAFKA_BROKERS: undefined });
    expect(await service.waitForExit()).toBe(1);
    expect(service.output()).toContain('DATABASE_URL: is required but not set');
    expect(service.output()).toContain('KAFKA_BROKERS: is required but not set');
  });

  it('refuses malformed values, naming the variable and never echoing the password', async () => {
    const service = start({ ...goodEnv, DATABASE_URL: 'mysql://root:hunter2@db/outflow', KAFKA_BROKERS: 'kafka' });
    expect(await service.waitForExit()).toBe(1);
    expect(service.output()).toContain('DATABASE_URL: must use postgres://');
    expect(service.output()).toContain('KAFKA_BROKERS: \\"kafka\\" is not host:port');
    expect(service.output()).not.toContain('hunter2');
  });

  it('reports an unreachable database instead of hanging', async () => {
    const service = start({ ...goodEnv, DATABASE_URL: 'postgres://u:p@127.0.0.1:1/outflow' });
    expect(await service.waitForExit(20_000)).toBe(1);
    expect(service.output()).toContain('cannot reach PostgreSQL at 127.0.0.1:1/outflow (DATABASE_URL)');
  });

  it('reports an unreachable broker instead of hanging', async () => {
    const service = start({ ...goodEnv, KAFKA_BROKERS: '127.0.0.1:1' });
    expect(await service.waitForExit(30_000)).toBe(1);
    expect(service.output()).toContain('cannot reach Kafka at 127.0.0.1:1 (KAFKA_BROKERS)');
  });

  it('serves health and readiness, and exits 0 on SIGTERM after stopping in order', async () => {
    const service = start(goodEnv);
    const [, port] = await service.waitForOutput(/"healthPort":(\d+)/);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: [{ name: 'postgres', ok: true }] });
    await service.waitForOutput(/"msg":"started"/);
    service.kill('SIGTERM');
    expect(await service.waitForExit()).toBe(0);
    expect(service.output()).toMatch(/"msg":"stopped"/);
  });
});
