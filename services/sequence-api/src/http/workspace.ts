import type { Response } from 'express';
import type { Transaction } from 'kysely';
import { inWorkspace, type Database, type DB } from '@outflow/db';

/** The authenticated key's workspace (set by requireApiKey). */
export function requestWorkspace(res: Response): string {
  const workspaceId = res.locals['workspaceId'];
  if (typeof workspaceId !== 'string') throw new Error('no workspace on this request: requireApiKey must run first');
  return workspaceId;
}

/**
 * Runs a request's statements in one transaction confined to its key's workspace: the database's row-level
 * security, not each query's WHERE clause, keeps other workspaces' rows out of reach.
 */
export function inRequestWorkspace<T>(
  db: Database,
  res: Response,
  work: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  return inWorkspace(db, requestWorkspace(res), work);
}
