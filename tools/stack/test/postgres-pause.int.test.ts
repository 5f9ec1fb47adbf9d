import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { canConnect, startPostgres, testLogger } from '../src/index.js';

describe('pausing the embedded PostgreSQL (fault injection)', () => {
  it('refuses connections while paused and comes back on the same port with its data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'outflow-pause-test-'));
    const server = await startPostgres({ logger: testLogger('pg-pause'), dataDir, persistent: false, fast: true });
    try {
      const client = new pg.Client({ connectionString: server.adminUrl });
      await client.connect();
      await client.query('create table kept (n int); insert into kept values (42)');
      await client.end();

      await server.pause();
      expect(await canConnect(server.adminUrl, 1_000)).toMatchObject({ ok: false });

      await server.resume();
      const again = new pg.Client({ connectionString: server.adminUrl });
      await again.connect();
      const { rows } = await again.query('select n from kept');
      await again.end();
      expect(rows).toEqual([{ n: 42 }]);
    } finally {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
