import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApiHarness, type ApiHarness } from './api-harness.js';

/** The page as a browser shows it once its scripts ran: Debian's Chromium, headless, prints the final DOM. */
async function renderedPage(url: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'outflow-chromium-'));
  try {
    // Asynchronous: the API answering the browser runs in this process.
    const { stdout } = await promisify(execFile)(
      'chromium',
      [
        '--headless',
        '--no-sandbox', // CI runs as root, where Chromium's sandbox cannot start
        '--disable-gpu',
        `--user-data-dir=${profile}`,
        // Runs the page's timers and requests until they settle (or 30 s of page time), then prints the DOM.
        '--virtual-time-budget=30000',
        '--dump-dom',
        url,
      ],
      { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

describe('the pages the API serves, in a real browser', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApiHarness('docs-page-test');
  });

  afterAll(async () => {
    await api?.close();
  });

  it('shows every operation of the document in a real browser, from local assets only', async () => {
    const dom = await renderedPage(`${api.base}/docs`);
    expect(dom).toContain('Outflow API');
    const operations = [...dom.matchAll(/class="opblock-summary-path"[^>]*data-path="([^"]+)"/g)].map(
      (match) => match[1],
    );
    const documented = api.conformance.operationNames.map((name) => name.split(' ')[1]);
    expect(operations.sort()).toEqual(documented.sort());
  }, 120_000);

  it('shows the unsubscribe confirmation with its one-click form, and a plain page for a link it does not know', async () => {
    const origin = new URL(api.base).origin;
    const token = api.unsubscribe.make({
      workspaceId: '00000000-0000-0000-0000-000000000001',
      contactId: '0193a4b2-77c1-7d2e-9f10-3c5d8e2a1b47',
    });
    const dom = await renderedPage(`${origin}/u/${token}`);
    expect(dom).toContain('<h1>Unsubscribe</h1>');
    expect(dom).toMatch(/<form method="post">\s*<input type="hidden" name="List-Unsubscribe" value="One-Click">/);
    expect(dom).toContain('<button type="submit" id="unsubscribe">Unsubscribe</button>');
    expect(await renderedPage(`${origin}/u/k1.forged.token`)).toContain('Link not recognised');
  }, 120_000);
});
