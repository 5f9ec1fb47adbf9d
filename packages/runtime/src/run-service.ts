import { flushLogger, type Logger } from '@outflow/telemetry';

/** Something started by a service that must be stopped on shutdown, named so a hang can be reported. */
export interface Stopper {
  name: string;
  stop: () => Promise<void>;
}

export interface RunServiceOptions {
  logger: Logger;
  /**
   * Builds and starts everything. Returns stoppers in the order they must run: intake first (HTTP server,
   * consumers, timers), then in-flight work, then clients (database, producer). A throw here exits 1.
   */
  start: () => Promise<Stopper[]>;
  /** How long shutdown may take before the process is forced out non-zero. Default 25 000 ms. */
  graceMs?: number;
}

/** The parts of `process` runService touches; tests pass a fake. */
export interface ProcessLike {
  on(event: 'SIGTERM' | 'SIGINT' | 'SIGHUP', listener: () => void): unknown;
  on(event: 'unhandledRejection' | 'uncaughtException', listener: (reason: unknown) => void): unknown;
  exit(code: number): void;
}

export interface RunningService {
  /** Resolves with the exit code once the service has stopped (or was forced out). */
  readonly exited: Promise<number>;
  /** Starts a graceful shutdown, as SIGTERM does. */
  shutdown(reason: string, exitCode?: number): void;
  /** True once a shutdown has begun. */
  readonly stopping: boolean;
}

/**
 * The one owner of a service's lifecycle. The first SIGTERM/SIGINT/SIGHUP stops the stoppers in order and exits 0;
 * a second signal or the grace timeout forces exit 1 and names the stopper that hung. A crash
 * (unhandled rejection, uncaught exception) shuts down the same way but exits 1, so Kubernetes restarts the pod.
 */
export function runService(options: RunServiceOptions, proc: ProcessLike = process): RunningService {
  const { logger } = options;
  const graceMs = options.graceMs ?? 25_000;
  let stoppers: Stopper[] = [];
  let current: string | undefined;
  let shuttingDown = false;
  let finished = false;
  let resolveExited!: (code: number) => void;
  const exited = new Promise<number>((resolve) => {
    resolveExited = resolve;
  });

  const exit = (code: number): void => {
    if (finished) return;
    finished = true;
    void flushLogger(logger).finally(() => {
      resolveExited(code);
      proc.exit(code);
    });
  };

  const force = (why: string): void => {
    logger.error({ hung: current ?? null }, `forced exit: ${why}${current ? `; still stopping "${current}"` : ''}`);
    exit(1);
  };

  const shutdown = (reason: string, exitCode = 0): void => {
    if (shuttingDown) {
      force(`second request to stop (${reason})`);
      return;
    }
    shuttingDown = true;
    logger.info({ reason }, 'shutting down');
    const timer = setTimeout(() => force(`shutdown took longer than ${graceMs} ms`), graceMs);
    timer.unref();
    void (async () => {
      let code = exitCode;
      // A signal during start-up waits for start to settle, so what it started is stopped too.
      await starting;
      for (const stopper of stoppers) {
        current = stopper.name;
        try {
          await stopper.stop();
        } catch (error) {
          code = 1;
          logger.error({ err: error, stopper: stopper.name }, 'stop failed');
        }
      }
      current = undefined;
      clearTimeout(timer);
      logger.info({ exitCode: code }, 'stopped');
      exit(code);
    })();
  };

  proc.on('SIGTERM', () => shutdown('SIGTERM'));
  proc.on('SIGINT', () => shutdown('SIGINT'));
  // A closed terminal would otherwise kill the process without stopping what it started.
  proc.on('SIGHUP', () => shutdown('SIGHUP'));
  proc.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    shutdown('unhandledRejection', 1);
  });
  proc.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    shutdown('uncaughtException', 1);
  });

  const starting = (async () => {
    try {
      stoppers = await options.start();
      if (!shuttingDown) logger.info('started');
    } catch (error) {
      logger.fatal({ err: error }, error instanceof Error ? error.message : 'start-up failed');
      stoppers = [];
      if (!shuttingDown) {
        shuttingDown = true;
        exit(1);
      }
    }
  })();

  return {
    exited,
    shutdown,
    get stopping() {
      return shuttingDown;
    },
  };
}
