import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const failpointModule = fileURLToPath(new URL('./failpoint.ts', import.meta.url));

/** Runs `body` in a fresh Node process with configureFailpoints and failpoint imported. */
function runWithFailpoints(body: string) {
  const script = `import { configureFailpoints, failpoint } from ${JSON.stringify(failpointModule)};\n${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
}

describe('failpoint', () => {
  it('kills the process on the spot when a configured point is hit', () => {
    const result = runWithFailpoints(`
      configureFailpoints(new Map([['sender.after-smtp-before-commit', 1]]));
      failpoint('sender.after-smtp-before-commit');
      console.log('survived');
    `);
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).not.toContain('survived');
    expect(result.stderr).toContain('failpoint sender.after-smtp-before-commit: killing process');
  });

  it('does nothing for a point not configured, or configured with probability 0', () => {
    const result = runWithFailpoints(`
      failpoint('producer.after-claim-commit');
      configureFailpoints(new Map([['producer.after-claim-commit', 0]]));
      failpoint('producer.after-claim-commit');
      failpoint('sender.after-smtp-before-commit');
      console.log('survived');
    `);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('survived');
  });
});
