import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The service or tool name, on every line as `service`. */
  service: string;
  /** Default `info`. */
  level?: LevelWithSilent;
  /** Where lines go; default stdout. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
}

/**
 * Paths that may carry secrets. Redacted at the logger so a careless `log.info({ mailbox })` cannot leak an
 * SMTP password or an API key.
 */
const redactPaths = [
  'password',
  '*.password',
  'smtp_password',
  '*.smtp_password',
  'encrypted_smtp_password',
  '*.encrypted_smtp_password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'apiKey',
  '*.apiKey',
];

/** JSON lines, one logger per process; child loggers add context. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/** Flushes buffered log lines; call before exiting. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    logger.flush(() => resolve());
  });
}
