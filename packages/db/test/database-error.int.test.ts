import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { permanentDatabaseError } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

/** The error a statement fails with on the real server. */
async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('the statement was expected to fail');
}

describe('permanentDatabaseError', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
    await sql`create table probe (id uuid primary key, parent uuid references probe(id), n int check (n > 0))`.execute(
      test.db,
    );
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('marks values and rows the database refuses as not retryable, with their SQLSTATE', async () => {
    const cast = permanentDatabaseError(await failureOf(() => sql`select ${'abc'}::uuid`.execute(test.db)));
    expect(cast).toMatchObject({ code: 'DATABASE_REJECTED', retryable: false, details: { sqlState: '22P02' } });
    expect(cast?.message).toMatch(/SQLSTATE 22P02.*invalid input syntax for type uuid/);

    const missingParent = permanentDatabaseError(
      await failureOf(() =>
        sql`insert into probe (id, parent) values (${randomUUID()}, ${randomUUID()})`.execute(test.db),
      ),
    );
    expect(missingParent).toMatchObject({
      retryable: false,
      details: { sqlState: '23503', constraint: 'probe_parent_fkey', table: 'probe' },
    });
    const check = permanentDatabaseError(
      await failureOf(() => sql`insert into probe (id, n) values (${randomUUID()}, 0)`.execute(test.db)),
    );
    expect(check?.details).toMatchObject({ sqlState: '23514' });
  });

  it('leaves what a retry can resolve alone: a duplicate a concurrent copy wrote, a timeout, a lost connection', async () => {
    const id = randomUUID();
    await sql`insert into probe (id) values (${id})`.execute(test.db);
    const duplicate = await failureOf(() => sql`insert into probe (id) values (${id})`.execute(test.db));
    expect((duplicate as { code?: string }).code).toBe('23505');
    expect(permanentDatabaseError(duplicate)).toBeUndefined();

    const timeout = await failureOf(() =>
      test.db.transaction().execute(async (trx) => {
        await sql`set local statement_timeout = 50`.execute(trx);
        await sql`select pg_sleep(5)`.execute(trx);
      }),
    );
    expect((timeout as { code?: string }).code).toBe('57014');
    expect(permanentDatabaseError(timeout)).toBeUndefined();

    expect(permanentDatabaseError(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBeUndefined();
    expect(permanentDatabaseError(undefined)).toBeUndefined();
  });
});
