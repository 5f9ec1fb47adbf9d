export interface AppErrorOptions {
  /** Whether trying the same thing again later can succeed (a timeout, 4xx SMTP reply, a dropped connection). */
  retryable: boolean;
  cause?: unknown;
  /** Facts for logs and dead letters, e.g. `{ smtpCode: 451 }`. Never secrets. */
  details?: Record<string, unknown>;
}

/**
 * An error that knows what it is (`code`) and whether retrying can help (`retryable`). Consumers decide from
 * it alone: a non-retryable error sends the message to the dead-letter topic, a retryable one is tried again.
 */
export class AppError extends Error {
  override readonly name: string = 'AppError';
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: AppErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
    this.details = options.details ?? {};
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
