import { sql } from 'kysely';
import type { Database } from '@outflow/db';
import { ApiError } from './api-error.js';

/** Zones PostgreSQL knew (its time zone data never changes while it runs): asked once each. */
const known = new Set<string>(['UTC']);

/**
 * The schedule is computed in PostgreSQL (send windows and waits in the recipient's zone), so a zone must be one
 * it knows as well as one Node's Intl knows (the schemas check that): PostgreSQL ships its own copy of the IANA
 * data, which can be older. Refused with 400 at the edge, naming the field, rather than failing a scheduling
 * statement later.
 */
export async function refuseZonesPostgresLacks(
  db: Database,
  zones: ReadonlyArray<{ path: string; zone: string | null | undefined }>,
): Promise<void> {
  const problems: Array<{ path: string; message: string }> = [];
  for (const { path, zone } of zones) {
    if (!zone || known.has(zone)) continue;
    try {
      await sql`select now() at time zone ${zone}`.execute(db);
      known.add(zone);
    } catch (error) {
      if ((error as { code?: string }).code !== '22023') throw error;
      problems.push({ path, message: `the database does not know the time zone ${zone}` });
    }
  }
  if (problems.length > 0) throw new ApiError(400, 'invalid_request', 'an unknown time zone', problems);
}
