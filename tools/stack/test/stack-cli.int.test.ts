import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { isProcessAlive, spawnProcess, spawnTypeScript, type StackEndpoints } from '../src/index.js';

const entry = fileURLToPath(new URL('../src/cli/stack.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** PATH without any folder that holds pnpm: the documented commands must not need it. */
function withoutPnpm(path: string): string {
  return path
    .split(':')
    .filter((dir) => dir && !existsSync(join(dir, 'pnpm')))
    .join(':');
}

/** stack.env's assignments, as `set -a; . .outflow/stack.env; set +a` would export them. */
function readEnvFile(path: string): Record<string, string> {
  const lines = readFileSync(path, 'utf8').split('\n');
  return Object.fromEntries(
    lines
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('npm run stack (a real process, embedded defaults)', () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'outflow-stack-'));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('brings up PostgreSQL (migrated), the broker, the registry, the SMTP sink and Zipkin, then Ctrl-C leaves nothing behind', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      OUTFLOW_MOCK_BROKER_BIN: process.env['OUTFLOW_MOCK_BROKER_BIN'],
      OUTFLOW_STATE_DIR: stateDir,
      STACK_SMTP_PORT: '0',
      STACK_MAIL_UI_PORT: '0',
      STACK_REGISTRY_PORT: '0',
      STACK_ZIPKIN_PORT: '0',
    };
    const stack = spawnTypeScript(entry, { env: Object.fromEntries(Object.entries(env).filter(([, value]) => value)) });
    // Zipkin is a JVM: up in 10-30 s (and fetched first, once per checkout).
    await stack.waitForOutput(/Outflow local stack is up/, 150_000);
    const endpoints = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')) as StackEndpoints;
    expect(readFileSync(join(stateDir, 'stack.env'), 'utf8')).toContain(`DATABASE_URL=${endpoints.databaseUrl}`);
    for (const url of [
      endpoints.databaseUrl,
      endpoints.schemaRegistryUrl,
      endpoints.mailViewerUrl,
      endpoints.zipkinUrl!,
    ]) {
      expect(new URL(url).hostname).toBe('127.0.0.1');
    }

    const client = new pg.Client({ connectionString: endpoints.databaseUrl });
    await client.connect();
    const { rows } = await client.query(`select count(*)::int as n from email_queues`);
    expect(rows[0].n).toBe(0);
    await client.end();
    const postgresPid = Number(readFileSync(join(stateDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

    const subjects = await fetch(`${endpoints.schemaRegistryUrl}/subjects`);
    expect(subjects.status).toBe(200);
    // Zipkin answers, and stack.env points the services' spans at it.
    expect(((await (await fetch(`${endpoints.zipkinUrl}/health`)).json()) as { status: string }).status).toBe('UP');
    expect(readFileSync(join(stateDir, 'stack.env'), 'utf8')).toContain(
      `OTEL_EXPORTER_ZIPKIN_ENDPOINT=${endpoints.zipkinUrl}/api/v2/spans`,
    );

    const transport = nodemailer.createTransport({
      host: endpoints.smtp.host,
      port: endpoints.smtp.port,
      ignoreTLS: true,
    });
    await transport.sendMail({ from: 'a@outflow.test', to: 'b@example.com', subject: 'stack check', text: 'hi' });
    transport.close();
    const messages = (await (await fetch(`${endpoints.mailViewerUrl}/api/messages`)).json()) as Array<{
      subject: string;
    }>;
    expect(messages.map((message) => message.subject)).toEqual(['stack check']);
    const page = await (await fetch(endpoints.mailViewerUrl)).text();
    expect(page).toContain('stack check');

    // As documented: load stack.env, start a service with its role through npm (no pnpm on PATH), Ctrl-C it.
    const service = spawnProcess('npm', ['run', 'service', 'smtp-sender'], {
      env: {
        PATH: withoutPnpm(process.env['PATH'] ?? ''),
        ...readEnvFile(join(stateDir, 'stack.env')),
        DATABASE_ROLE: 'outflow_sender',
        HEALTH_PORT: '0',
      },
      cwd: repoRoot,
      processGroup: true,
    });
    await service.waitForOutput(/"msg":"started"/, 60_000);
    service.kill('SIGINT');
    // npm ends by the signal it got (a shell shows 130), silently, once the service has exited 0.
    expect(await service.waitForExit(30_000)).toBe('SIGINT');
    expect(service.output()).toMatch(/"exitCode":0,"msg":"stopped"/);
    expect(service.output()).not.toMatch(/ERR_|npm error|"level":"(error|fatal)"/);

    expect(isProcessAlive(endpoints.pids.broker!)).toBe(true);
    expect(isProcessAlive(endpoints.pids.zipkin!)).toBe(true);
    expect(isProcessAlive(postgresPid)).toBe(true);
    stack.kill('SIGINT');
    expect(await stack.waitForExit(30_000)).toBe(0);
    expect(isProcessAlive(endpoints.pids.broker!)).toBe(false);
    expect(isProcessAlive(endpoints.pids.zipkin!)).toBe(false);
    expect(isProcessAlive(postgresPid)).toBe(false);
    expect(() => readFileSync(join(stateDir, 'stack.json'))).toThrow();
  }, 240_000);
});
