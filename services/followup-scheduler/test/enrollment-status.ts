import type { Database } from '@outflow/db';

/** An enrollment's status as stored now. */
export async function enrollmentStatus(db: Database, enrollmentId: string) {
  const row = await db
    .selectFrom('sequence_contacts')
    .select('status')
    .where('id', '=', enrollmentId)
    .executeTakeFirstOrThrow();
  return row.status;
}
