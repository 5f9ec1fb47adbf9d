import { createDatabase, createDb, dropDatabase, migrateToLatest, type Database } from '@outflow/db';

import { startArrivalSink, startTestStack, type ArrivalSink, type KafkaCluster, type TestStack } from '@outflow/stack';

/**
 * What one bench run works in: topics of its own on the sitting's broker (warm: see startSittingBroker), a fresh
 * registry, the bench's SMTP sink, and a migrated database of its own on the bench's server. Everything but the
 * broker is torn down after `work` (its topics are deleted), also when it fails (on a DATABASE_URL server the bench
 * database would otherwise outlive the run).
 */
export async function withRunEnvironment<T>(
  adminUrl: string,
  options: { database: string; maxConnections: number; cluster: KafkaCluster },
  work: (environment: { stack: TestStack; sink: ArrivalSink; db: Database; url: string }) => Promise<T>,
): Promise<T> {
  // The bench's mailboxes send to the arrival sink, which keeps what the figures need of each message (its email
  // id, its arrival), not the message (an L drain is a million of them), and costs the machine little CPU. The
  // stack's own sink (smtp-server, for tests with faults) stays idle.
  const stack = await startTestStack({ cluster: options.cluster });
  const sink = await startArrivalSink({ idHeader: 'X-Outflow-Email-Id' }).catch(async (error: unknown) => {
    await stack.close();
    throw error;
  });
  const url = await createDatabase(adminUrl, options.database);
  const db = createDb({ url, maxConnections: options.maxConnections });
  try {
    await migrateToLatest(db);
    return await work({ stack, sink, db, url });
  } finally {
    await db.destroy();
    await dropDatabase(adminUrl, options.database);
    await sink.stop();
    await stack.close();
  }
}
