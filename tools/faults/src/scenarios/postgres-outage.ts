import pg from 'pg';
import { loadSequence } from '../fault-environment.js';
import { sinkReaches, sizes, type Scenario } from '../scenario-kit.js';

/**
 * Opens connections until the server refuses more (53300 too_many_connections) and keeps them: every service's
 * next new connection fails until release().
 */
async function takeEveryConnection(adminUrl: string): Promise<{ taken: number; release(): Promise<void> }> {
  const clients: pg.Client[] = [];
  for (;;) {
    const client = new pg.Client({ connectionString: adminUrl });
    client.on('error', () => undefined);
    try {
      await client.connect();
      clients.push(client);
    } catch (error) {
      await client.end().catch(() => undefined);
      const code = (error as { code?: string }).code;
      if (code !== '53300' && code !== '53000') throw error;
      break;
    }
  }
  return {
    taken: clients.length,
    release: async () => {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    },
  };
}

export const postgresOutage: Scenario = {
  name: 'postgres-outage',
  description:
    'every pool squeezed to 2 connections; PostgreSQL stopped mid-run and restarted; then every server connection taken for a while',
  ownPostgres: { maxConnections: 60 },
  env: { DATABASE_POOL_SIZE: '2', SENDER_CONCURRENCY: '8' },
  run: async (environment, options) => {
    const postgres = environment.postgres!;
    const { contacts } = sizes[options.size];
    const holdMs = options.size === 'quick' ? 3_000 : 15_000;
    const outageMs = options.size === 'quick' ? 5_000 : 30_000;
    const sequenceId = await loadSequence(environment, { contacts, steps: 2 });
    const total = contacts * 2;

    const sunk = () => environment.stack.smtp.messages.length;
    await sinkReaches(environment, Math.floor(total / 4));
    const atOutage = sunk();
    await postgres.pause();
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    await postgres.resume();

    await sinkReaches(environment, Math.floor(total / 2));
    const atHog = sunk();
    const hog = await takeEveryConnection(postgres.adminUrl);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    await hog.release();
    return {
      sequenceIds: [sequenceId],
      lastFaultAt: Date.now(),
      details: { outageMs, sentAtOutage: atOutage, connectionsTaken: hog.taken, heldMs: holdMs, sentAtHog: atHog },
    };
  },
};
