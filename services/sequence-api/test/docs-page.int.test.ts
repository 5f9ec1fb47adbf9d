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

describe('the API docs page', () => {
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
});
