import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createDb } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

describe('a pooled connection that dies while checked out', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('is reported, fails only its own transaction, and the pool goes on with a new connection', async () => {
    let reported!: (error: Error) => void;
    const poolError = new Promise<Error>((resolve) => (reported = resolve));
    const db = createDb({ url: test.url, maxConnections: 1, onPoolError: (error) => reported(error) });
    try {
      // Killed between two statements of a transaction, as when the server restarts: without a listener on the
      // checked-out client this was an uncaught exception that took the whole service down.
      const transaction = db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(test.db);
        await poolError;
        await sql`select 1`.execute(trx);
      });
      await expect(transaction).rejects.toThrow();
      expect((await poolError).message).toMatch(/terminat/i);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await db.destroy();
    }
  });
});
