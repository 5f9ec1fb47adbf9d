import { sql } from 'kysely';
import type { Database } from '../create-db.js';

/**
 * The statements prepared on the connection this query runs on, as PostgreSQL lists them. Prepared statements
 * belong to one connection, so pass a pool of one connection (`createDb({ maxConnections: 1 })`).
 */
export async function preparedOnConnection(db: Database): Promise<{ name: string; generic_plans: string }[]> {
  const { rows } = await sql<{ name: string; generic_plans: string }>`
    select name, generic_plans::text from pg_prepared_statements order by name
  `.execute(db);
  return rows;
}
