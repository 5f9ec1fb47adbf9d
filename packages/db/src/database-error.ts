import pg from 'pg';
import { AppError } from '@outflow/runtime';

/**
 * SQLSTATEs that a concurrent copy of the same work can cause, and that a retry resolves (it then finds the row
 * the other copy wrote): unique and exclusion violations. Every consumer assumes each message can arrive twice.
 */
const raceStates = new Set(['23505', '23P01']);

/**
 * A PostgreSQL error that trying again cannot fix, as a non-retryable AppError: data exceptions (class 22: a value
 * the column's type refuses) and integrity violations (class 23: a missing referenced row, a null, a check),
 * except the ones a race causes. Anything else (connections, timeouts, serialization failures, deadlocks, a
 * server shutting down) is left as it is: callers treat unknown errors as retryable.
 */
export function permanentDatabaseError(error: unknown): AppError | undefined {
  if (!(error instanceof pg.DatabaseError) || error.code === undefined) return undefined;
  const sqlState = error.code;
  if (!(sqlState.startsWith('22') || sqlState.startsWith('23')) || raceStates.has(sqlState)) return undefined;
  return new AppError('DATABASE_REJECTED', `rejected by the database (SQLSTATE ${sqlState}): ${error.message}`, {
    retryable: false,
    cause: error,
    details: {
      sqlState,
      ...(error.constraint ? { constraint: error.constraint } : {}),
      ...(error.table ? { table: error.table } : {}),
    },
  });
}
