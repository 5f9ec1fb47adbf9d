import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { isProcessAlive, spawnTypeScript, type StackEndpoints } from '../src/index.js';

const entry = fileURLToPath(new URL('../src/cli/stack.ts', import.meta.url));

describe('pnpm stack (a real process, embedded defaults)', () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'outflow-stack-'));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('brings up PostgreSQL (migrated), the broker, the registry and the SMTP sink, then Ctrl-C leaves nothing behind', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      OUTFLOW_MOCK_BROKER_BIN: process.env['OUTFLOW_MOCK_BROKER_BIN'],
      OUTFLOW_STATE_DIR: stateDir,
      STACK_SMTP_PORT: '0',
      STACK_MAIL_UI_PORT: '0',
      STACK_REGISTRY_PORT: '0',
    };
    const stack = spawnTypeScript(entry, { env: Object.fromEntries(Object.entries(env).filter(([, value]) => value)) });
    await stack.waitForOutput(/Outflow local stack is up/, 60_000);
    const endpoints = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')) as StackEndpoints;
    expect(readFileSync(join(stateDir, 'stack.env'), 'utf8')).toContain(`DATABASE_URL=${endpoints.databaseUrl}`);
    for (const url of [endpoints.databaseUrl, endpoints.schemaRegistryUrl, endpoints.mailViewerUrl]) {
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

    expect(isProcessAlive(endpoints.pids.broker!)).toBe(true);
    expect(isProcessAlive(postgresPid)).toBe(true);
    stack.kill('SIGINT');
    expect(await stack.waitForExit(30_000)).toBe(0);
    expect(isProcessAlive(endpoints.pids.broker!)).toBe(false);
    expect(isProcessAlive(postgresPid)).toBe(false);
    expect(() => readFileSync(join(stateDir, 'stack.json'))).toThrow();
  });
});
