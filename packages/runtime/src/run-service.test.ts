import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger } from '@outflow/telemetry';
import { runService, type ProcessLike, type Stopper } from './run-service.js';

class FakeProcess extends EventEmitter implements ProcessLike {
  exitCodes: number[] = [];
  exit(code: number): void {
    this.exitCodes.push(code);
  }
}

function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger({ service: 'test', destination }), lines };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('runService', () => {
  it('stops every stopper in order on SIGTERM and exits 0', async () => {
    const proc = new FakeProcess();
    const { logger } = captureLogger();
    const order: string[] = [];
    const started = deferred();
    const stopper = (name: string): Stopper => ({ name, stop: async () => void order.push(name) });
    const service = runService(
      {
        logger,
        start: async () => {
          started.resolve();
          return [stopper('http'), stopper('consumer'), stopper('db')];
        },
      },
      proc,
    );
    await started.promise;
    proc.emit('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(order).toEqual(['http', 'consumer', 'db']);
    expect(proc.exitCodes).toEqual([0]);
  });

  it('exits 1 and names the failure when start-up throws', async () => {
    const proc = new FakeProcess();
    const { logger, lines } = captureLogger();
    const service = runService(
      {
        logger,
        start: async () => {
          throw new Error('DATABASE_URL: is required but not set');
        },
      },
      proc,
    );
    expect(await service.exited).toBe(1);
    expect(lines.some((line) => String(line['msg']).includes('DATABASE_URL'))).toBe(true);
  });

  it('forces exit 1 on a second signal and names the stopper that hung', async () => {
    const proc = new FakeProcess();
    const { logger, lines } = captureLogger();
    const started = deferred();
    const stopping = deferred();
    const service = runService(
      {
        logger,
        start: async () => {
          started.resolve();
          return [{ name: 'smtp-pool', stop: () => (stopping.resolve(), new Promise<void>(() => undefined)) }];
        },
      },
      proc,
    );
    await started.promise;
    proc.emit('SIGTERM');
    await stopping.promise;
    proc.emit('SIGINT');
    expect(await service.exited).toBe(1);
    expect(lines.find((line) => line['hung'] === 'smtp-pool')).toBeDefined();
  });

  it('forces exit 1 when shutdown outlives the grace period', async () => {
    const proc = new FakeProcess();
    const { logger, lines } = captureLogger();
    const started = deferred();
    const service = runService(
      {
        logger,
        graceMs: 50,
        start: async () => {
          started.resolve();
          return [{ name: 'stuck', stop: () => new Promise<void>(() => undefined) }];
        },
      },
      proc,
    );
    await started.promise;
    proc.emit('SIGTERM');
    expect(await service.exited).toBe(1);
    expect(String(lines.find((line) => line['hung'] === 'stuck')?.['msg'])).toContain('longer than 50 ms');
  });

  it('stops what start-up created when a signal arrives during start-up', async () => {
    const proc = new FakeProcess();
    const { logger } = captureLogger();
    const release = deferred();
    const stopped: string[] = [];
    const service = runService(
      {
        logger,
        start: async () => {
          await release.promise;
          return [{ name: 'consumer', stop: async () => void stopped.push('consumer') }];
        },
      },
      proc,
    );
    proc.emit('SIGTERM');
    release.resolve();
    expect(await service.exited).toBe(0);
    expect(stopped).toEqual(['consumer']);
  });

  it('exits 1 after a graceful stop when a promise rejection goes unhandled', async () => {
    const proc = new FakeProcess();
    const { logger } = captureLogger();
    const started = deferred();
    const stopped: string[] = [];
    const service = runService(
      {
        logger,
        start: async () => {
          started.resolve();
          return [{ name: 'db', stop: async () => void stopped.push('db') }];
        },
      },
      proc,
    );
    await started.promise;
    proc.emit('unhandledRejection', new Error('boom'));
    expect(await service.exited).toBe(1);
    expect(stopped).toEqual(['db']);
  });
});
