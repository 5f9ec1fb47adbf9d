import { sql, type Transaction } from 'kysely';
import type { Database } from './create-db.js';
import type { DB } from './database.generated.js';

/**
 * Runs `work` in a transaction whose statements see and write only this workspace's rows (for a role under the
 * workspace policies, such as the API's). The setting is transaction-local: a pooled connection never carries it
 * to the next request, and a statement outside such a transaction sees no tenant row at all.
 */
export async function inWorkspace<T>(
  db: Database,
  workspaceId: string,
  work: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('outflow.workspace_id', ${workspaceId}, true)`.execute(trx);
    return work(trx);
  });
}
