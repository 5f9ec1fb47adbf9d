import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase, setSessionWorkspace } from '../admin.js';
import { defaultWorkspaceId } from '../migrations/2026_12_06_0019_workspaces.js';
import { createDb, type Database } from '../create-db.js';

export interface TestDatabase {
  /** Connection URL of this test's own database. */
  url: string;
  db: Database;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run tests through jest with the global setup (pnpm test)`);
  }
  return value;
}

/**
 * A database of its own for one test file: a copy of the migrated template the global setup made (fast: a file
 * copy, not a migration run), or an empty one for migration tests.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = requireEnv('OUTFLOW_TEST_ADMIN_URL');
  const template = options.empty ? 'template0' : requireEnv('OUTFLOW_TEST_TEMPLATE_DB');
  const name = `outflow_test_${process.env['JEST_WORKER_ID'] ?? '0'}_${randomBytes(5).toString('hex')}`;
  let url: string;
  for (let attempt = 1; ; attempt++) {
    try {
      url = await createDatabase(adminUrl, name, { template });
      break;
    } catch (error) {
      // 55006: another session is copying the same template right now; wait for it rather than fail.
      if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
  // Tests write rows as the owner without naming a workspace: those land in the default one, as existing rows did.
  await setSessionWorkspace(adminUrl, name, defaultWorkspaceId);
  const db = createDb({ url, maxConnections: 5, applicationName: 'outflow-test' });
  return {
    url,
    db,
    async drop() {
      await db.destroy();
      await dropDatabase(adminUrl, name);
    },
  };
}
