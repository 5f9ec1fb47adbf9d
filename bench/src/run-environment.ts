import { createDatabase, createDb, dropDatabase, migrateToLatest, type Database } from '@outflow/db';
import { startTestStack, type TestStack } from '@outflow/stack';

/**
 * What one bench run works in: a fresh broker, registry and SMTP sink, and a migrated database of its own on the
 * bench's server. Everything is torn down after `work`, also when it fails (on a DATABASE_URL server the bench
 * database would otherwise outlive the run).
 */
export async function withRunEnvironment<T>(
  adminUrl: string,
  options: { database: string; maxConnections: number },
  work: (environment: { stack: TestStack; db: Database; url: string }) => Promise<T>,
): Promise<T> {
  // The sink keeps what the figures need of each message (its email id, its arrival), not the message: an L
  // drain is a million of them.
  const stack = await startTestStack({ smtp: { keepOnly: { headers: ['x-outflow-email-id'] } } });
  const url = await createDatabase(adminUrl, options.database);
  const db = createDb({ url, maxConnections: options.maxConnections });
  try {
    await migrateToLatest(db);
    return await work({ stack, db, url });
  } finally {
    await db.destroy();
    await dropDatabase(adminUrl, options.database);
    await stack.close();
  }
}
