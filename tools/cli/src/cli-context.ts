import { databaseUrl, parseEnv } from '@outflow/config';
import { assertDatabaseReachable, createDb, type Database } from '@outflow/db';
import type { Output } from './output.js';

/** What every command gets: where to write, and the database, connected on first use and closed once at the end. */
export interface CliContext {
  out: Output;
  /** The database at DATABASE_URL (a ConfigError, exit 2, when it is not set); opened once per run. */
  database(): Promise<Database>;
  close(): Promise<void>;
}

export function createCliContext(out: Output, env: NodeJS.ProcessEnv = process.env): CliContext {
  let opened: Promise<Database> | undefined;
  const open = async (): Promise<Database> => {
    const { DATABASE_URL } = parseEnv({ DATABASE_URL: databaseUrl }, env);
    await assertDatabaseReachable(DATABASE_URL);
    return createDb({ url: DATABASE_URL, maxConnections: 1, applicationName: 'outflow-cli' });
  };
  return {
    out,
    database: () => (opened ??= open()),
    async close() {
      const db = await opened?.catch(() => undefined);
      await db?.destroy();
    },
  };
}
