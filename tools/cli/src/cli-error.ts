/** A usage or input error: printed without a stack, exit code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface Output {
  /** Human context, on stderr so scripts can read stdout alone. */
  info(line: string): void;
  /** The command's result, on stdout. */
  result(line: string): void;
}
