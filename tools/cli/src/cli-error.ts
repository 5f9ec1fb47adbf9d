/** A usage or input error found by a command (a missing row, a conflicting choice): printed without a stack, exit 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}
