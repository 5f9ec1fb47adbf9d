import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDatabase, createDb, dumpSchema, migrateToLatest, schemaSnapshotPath } from '@outflow/db';
import { startInstalledPostgres, type InstalledPostgres } from '../src/installed-postgres.js';

describe('the committed schema snapshot (packages/db/schema.sql)', () => {
  let server: InstalledPostgres;

  beforeAll(async () => {
    server = await startInstalledPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is what the migrations build (regenerate with npm run db:generate)', async () => {
    const url = await createDatabase(server.adminUrl, 'outflow_snapshot');
    const db = createDb({ url, maxConnections: 1 });
    try {
      await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
    // Line arrays, so a failure shows the lines that differ rather than two 1,800-line strings.
    expect(dumpSchema(url, server.pgDump).split('\n')).toEqual(readFileSync(schemaSnapshotPath, 'utf8').split('\n'));
  });

  it('holds what the final migrations define, not an earlier version of it', () => {
    const snapshot = readFileSync(schemaSnapshotPath, 'utf8');
    // The audit trigger was rewritten in six migrations; the snapshot shows the last one only.
    expect(snapshot.match(/CREATE FUNCTION public\.record_delivery_events_updated\(\)/g)).toHaveLength(1);
    expect(snapshot).toContain('CREATE POLICY api_workspace ON public.contacts');
    expect(snapshot).not.toMatch(/\\restrict|Dumped from/);
  });
});
