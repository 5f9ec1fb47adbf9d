import { mkdtemp, readFile, rm } from 'node:fs/promises';
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

  it('runs the stack, the six services and a demo sequence to completion, then Ctrl-C stops everything', async () => {
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
        STACK_ZIPKIN_PORT: '0',
        API_PORT: '0',
      },
    });
    try {
      // Zipkin, a JVM, takes 10-30 s to start (and is fetched once per checkout first).
      const [, apiUrl, apiKey] = await demo.waitForOutput(/API +(http:\S+)\n +API key +(\S+)/, 180_000);
      const [, reference] = await demo.waitForOutput(/API reference +(http:\S+)/, 10_000);
      expect((await fetch(reference!)).status).toBe(200);
      const [, mailUrl] = await demo.waitForOutput(/Received mail +(http:\S+)/);
      const [, zipkinUrl, traceId] = await demo.waitForOutput(
        /One email traced +(http:\S+)\/zipkin\/traces\/([0-9a-f]{32})/,
      );
      await demo.waitForOutput(/demo complete: every enrollment finished/, 90_000);
      // Its closing lines say which commands to try next.
      await demo.waitForOutput(/--help +every command; docs\/cli.md shows their output/);
      const [, unknownContact] = /npm run -s outflow -- explain (unknown-\S+@example.com)/.exec(demo.output())!;
      // ...and they work with the settings it wrote: the bounced contact is explained, with the command to retry it.
      const settings = Object.fromEntries(
        (await readFile(join(stateDir, 'stack.env'), 'utf8'))
          .split('\n')
          .filter((line) => /^[A-Z_]+=/.test(line))
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      const explain = spawnTypeScript(fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url)), {
        args: ['explain', unknownContact!, '--json'],
        env: { PATH: process.env['PATH'], ...settings, OUTFLOW_DAY_SECONDS: '1' },
      });
      expect(await explain.waitForExit()).toBe(0);
      expect(JSON.parse(explain.stdout())).toMatchObject([
        { state: 'failed', next: expect.stringContaining('outflow retry') },
      ]);
      // 3 contacts x 3 steps, the greylisted one delivered after a retry (3), the unknown one bounced, and Riley's
      // reply, read from Dovecot, stopped their sequence after its first email.
      expect(demo.output()).toMatch(/progress: 13 emails sent, 4\/6 enrollments completed, 1 bounced, 1 replied/);
      expect(demo.output()).toMatch(/explain replier-\S+@example.com +replied: the rest of the sequence cancelled/);

      const sequenceId = /Sequence +([0-9a-f-]{36})/.exec(demo.output())![1];
      const response = await fetch(`${apiUrl}/sequences/${sequenceId}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const detail = (await response.json()) as { counts: Record<string, Record<string, number>> };
      expect(detail.counts).toMatchObject({
        enrollments: { total: 6, completed: 4, bounced: 1, replied: 1 },
        emails: { sent: 13, cancelled: 0 },
      });
      const mail = (await (await fetch(`${mailUrl}/api/messages`)).json()) as unknown[];
      expect(mail).toHaveLength(13);

      // The printed link is the greylisted contact's whole path, in Zipkin: every service took part, and the
      // send failed with 451 once before it went through (spans arrive in batches, every few seconds).
      interface ZipkinSpan {
        name: string;
        localEndpoint?: { serviceName?: string };
        tags?: Record<string, string>;
      }
      const traceOf = async () =>
        (await (await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`)).json().catch(() => [])) as ZipkinSpan[];
      const complete = (spans: ZipkinSpan[]) =>
        new Set(spans.map((span) => span.localEndpoint?.serviceName)).size === 5 &&
        spans.filter((span) => span.name === 'smtp send').length === 4;
      let spans = await traceOf();
      for (const deadline = Date.now() + 30_000; !complete(spans) && Date.now() < deadline; spans = await traceOf()) {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect([...new Set(spans.map((span) => span.localEndpoint?.serviceName))].sort()).toEqual([
        'cron-producer',
        'followup-scheduler',
        'retry-consumer',
        'sequence-api',
        'smtp-sender',
      ]);
      // Step 1 twice (451, then 250), steps 2 and 3 once each.
      const replies = spans.filter((span) => span.name === 'smtp send').map((span) => span.tags?.['smtp.reply_code']);
      expect(replies.sort()).toEqual(['250', '250', '250', '451']);

      demo.kill('SIGINT');
      expect(await demo.waitForExit(60_000)).toBe(0);
      // Nothing listens any more: the API, the mail page (and with them the services and the stack) are gone.
      await expect(fetch(`${apiUrl}/sequences/${sequenceId}`)).rejects.toThrow();
      await expect(fetch(`${mailUrl}/api/messages`)).rejects.toThrow();
    } finally {
      demo.kill('SIGKILL');
    }
  }, 300_000);
});
