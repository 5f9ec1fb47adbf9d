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

/** A key whose value is a secret, at any depth and in any case: `password`, `smtp_pass`, `Authorization`, ... */
// A claim token names a claim on an email, not a credential: kept, as the sender logs it to follow an email.
const SECRET_KEY = /pass(word)?$|secret|(?<!claim_?)token|authorization|api_?key|cookie|credential/i;
const censor = '[redacted]';
const maxDepth = 8;

/** A shallow copy; an error stays an error (same prototype, message and stack) for pino's serializer. */
function copyOf(value: object): Record<string, unknown> {
  if (!(value instanceof Error)) return { ...value };
  const copy = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
  return Object.assign(copy, value, { message: value.message, stack: value.stack });
}

/**
 * A copy of what is logged with every secret-named value censored, however deep (pino's own redaction takes
 * exact paths: `*.password` missed `mailbox.auth.pass` and `headers.Authorization`). Objects without secrets
 * are returned as they are; errors are kept (their serializer reads them), with their own secret-named fields
 * censored. Deeper than `maxDepth`, values are dropped rather than walked.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= maxDepth) return '[too deep]';
  if (Array.isArray(value)) {
    const items = value.map((item) => redactSecrets(item, depth + 1));
    return items.every((item, index) => item === value[index]) ? value : items;
  }
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, field] of Object.entries(value)) {
    const redacted =
      SECRET_KEY.test(key) && field !== null && field !== undefined ? censor : redactSecrets(field, depth + 1);
    if (redacted === field) continue;
    copy ??= copyOf(value);
    copy[key] = redacted;
  }
  return copy ?? value;
}

/** JSON lines, one logger per process; child loggers add context. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactSecrets(object) as Record<string, unknown>,
      },
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
