import type { ChildProcess } from 'node:child_process';

/**
 * Polls `ready` every `everyMs` until it answers true. When the server's process exits first, or `timeoutMs`
 * passes, stops it and rejects with the tail of its log, so a failed start leaves nothing running.
 */
export async function waitForServer(options: {
  name: string;
  child: ChildProcess;
  ready: () => Promise<boolean>;
  stop: () => Promise<void>;
  log: () => string;
  timeoutMs: number;
  everyMs: number;
}): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.child.exitCode !== null) {
      await options.stop();
      throw new Error(`${options.name} exited with ${options.child.exitCode}: ${options.log()}`);
    }
    if (await options.ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      await options.stop();
      throw new Error(`${options.name} was not ready within ${options.timeoutMs} ms: ${options.log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.everyMs));
  }
}
