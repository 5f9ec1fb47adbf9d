import type { Stopper } from './run-service.js';
import type { Logger } from '@outflow/telemetry';

/**
 * Runs `tick` every `intervalMs`, never two at once (a slow tick delays the next instead of overlapping it).
 * A failed tick is logged and the next one runs as usual. stop() waits for a running tick to finish.
 */
export function startTicker(options: {
  name: string;
  intervalMs: number;
  /** Long ticks may check `isStopping()` between units of work to hand over to shutdown sooner. */
  tick: (isStopping: () => boolean) => Promise<unknown>;
  logger: Logger;
}): Stopper {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const schedule = (delay: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      const started = Date.now();
      running = options
        .tick(() => stopped)
        .then(
          () => undefined,
          (error: unknown) => options.logger.error({ err: error }, `${options.name} tick failed`),
        )
        .finally(() => schedule(Math.max(0, options.intervalMs - (Date.now() - started))));
    }, delay);
  };
  schedule(0);

  return {
    name: options.name,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
