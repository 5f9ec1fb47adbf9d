import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnTypeScript } from '../src/index.js';

const entry = fileURLToPath(new URL('../src/cli/demo.ts', import.meta.url));

describe('npm run demo (the Quick start command, as a real process)', () => {
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'outflow-demo-'));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('runs the stack, the five services and a demo sequence to completion, then Ctrl-C stops everything', async () => {
    const demo = spawnTypeScript(entry, {
      env: {
        PATH: process.env['PATH'],
        OUTFLOW_MOCK_BROKER_BIN: process.env['OUTFLOW_MOCK_BROKER_BIN'] ?? '',
        OUTFLOW_STATE_DIR: stateDir,
        DEMO_DAY_SECONDS: '1',
        DEMO_CONTACTS: '6',
        STACK_SMTP_PORT: '0',
        STACK_MAIL_UI_PORT: '0',
        STACK_REGISTRY_PORT: '0',
        API_PORT: '0',
      },
    });
    try {
      const [, apiUrl, apiKey] = await demo.waitForOutput(/API +(http:\S+)\n +API key +(\S+)/, 90_000);
      const [, mailUrl] = await demo.waitForOutput(/Received mail +(http:\S+)/);
      await demo.waitForOutput(/demo complete: every enrollment finished/, 90_000);
      // 4 contacts x 3 steps, the greylisted one delivered after a retry (3), the unknown one bounced.
      expect(demo.output()).toMatch(/progress: 15 emails sent, 5\/6 enrollments completed, 1 bounced/);

      const sequenceId = /Sequence +([0-9a-f-]{36})/.exec(demo.output())![1];
      const response = await fetch(`${apiUrl}/sequences/${sequenceId}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const detail = (await response.json()) as { counts: Record<string, number> };
      expect(detail.counts).toMatchObject({ enrolled: 6, completed: 5, bounced: 1, sent: 15 });
      const mail = (await (await fetch(`${mailUrl}/api/messages`)).json()) as unknown[];
      expect(mail).toHaveLength(15);

      demo.kill('SIGINT');
      expect(await demo.waitForExit(60_000)).toBe(0);
      // Nothing listens any more: the API, the mail page (and with them the services and the stack) are gone.
      await expect(fetch(`${apiUrl}/sequences/${sequenceId}`)).rejects.toThrow();
      await expect(fetch(`${mailUrl}/api/messages`)).rejects.toThrow();
    } finally {
      demo.kill('SIGKILL');
    }
  }, 180_000);
});
