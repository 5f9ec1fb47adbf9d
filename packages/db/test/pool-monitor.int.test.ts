import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createDb, type PoolCounts } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

describe("the pool monitor: each checkout's wait, and the pool's counts", () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('times a checkout that waited for the only connection, and counts it waiting meanwhile', async () => {
    const waits: number[] = [];
    let counts: (() => PoolCounts) | undefined;
    const db = createDb({
      url: test.url,
      maxConnections: 1,
      monitor: { checkedOut: (seconds) => waits.push(seconds), counts: (read) => (counts = read) },
    });
    try {
      await sql`select 1`.execute(db);
      expect(waits).toHaveLength(1);
      expect(counts!()).toEqual({ total: 1, idle: 1, waiting: 0, max: 1 });

      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let inTransaction!: () => void;
      const started = new Promise<void>((resolve) => (inTransaction = resolve));
      const transaction = db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        inTransaction();
        await held;
      });
      await started;
      const asked = performance.now();
      const queued = sql`select 2`.execute(db);
      while (counts!().waiting === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(counts!()).toEqual({ total: 1, idle: 0, waiting: 1, max: 1 });
      const released = performance.now();
      release();
      await Promise.all([transaction, queued]);
      // The statement behind the transaction waited at least until its commit was under way.
      expect(waits).toHaveLength(3);
      expect(waits[2]).toBeGreaterThanOrEqual((released - asked) / 1000);
    } finally {
      await db.destroy();
    }
  });
});
