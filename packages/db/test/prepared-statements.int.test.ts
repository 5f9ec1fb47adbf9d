import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createDb, prepared, type Database } from '../src/index.js';
import { MAX_PREPARED_PER_CONNECTION, preparedNameOf } from '../src/prepared-statements.js';
import { createTestDatabase, preparedOnConnection, type TestDatabase } from '../src/testing/index.js';

describe('prepared statements', () => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await createTestDatabase();
    db = createDb({ url: test.url, maxConnections: 1 });
  });
  afterAll(async () => {
    await db?.destroy();
    await test?.drop();
  });

  it('names a marked statement by its mark and a hash of its text, and leaves others unnamed', () => {
    const text = (value: string) => sql`select ${value}::text`;
    const compiled = prepared('echo-text', text('a')).compile(db);
    expect(compiled.sql.startsWith('/* outflow:prepared echo-text */')).toBe(true);
    expect(preparedNameOf(compiled.sql)).toMatch(/^echo-text-[0-9a-f]{12}$/);
    expect(preparedNameOf(prepared('echo-text', sql`select 2`).compile(db).sql)).not.toBe(preparedNameOf(compiled.sql));
    expect(preparedNameOf(text('a').compile(db).sql)).toBeUndefined();
    expect(() => prepared('Not A Name', text('a'))).toThrow('lowercase words');
  });

  it('prepares a marked statement once per connection and reuses it, with a generic plan after five runs', async () => {
    const echo = (value: number) =>
      prepared('echo-number', sql<{ n: number }>`select ${value}::int + 1 as n`).execute(db);
    for (let run = 1; run <= 8; run++) expect((await echo(run)).rows).toEqual([{ n: run + 1 }]);
    await sql`select ${1}::int as unmarked`.execute(db);
    const listed = await preparedOnConnection(db);
    expect(listed.map((row) => row.name)).toEqual([expect.stringMatching(/^echo-number-/)]);
    expect(Number(listed[0]!.generic_plans)).toBeGreaterThan(0);
  });

  it('runs further texts unnamed once a connection holds the most it may prepare', async () => {
    for (let index = 0; index < MAX_PREPARED_PER_CONNECTION + 5; index++) {
      const { rows } = await prepared('many-texts', sql<{ n: number }>`select ${sql.lit(index)}::int as n`).execute(db);
      expect(rows).toEqual([{ n: index }]);
    }
    expect((await preparedOnConnection(db)).length).toBe(MAX_PREPARED_PER_CONNECTION);
  });

  it('prepares nothing when turned off (a pooler without prepared statements)', async () => {
    const unprepared = createDb({ url: test.url, maxConnections: 1, preparedStatements: false });
    try {
      await prepared('echo-number', sql`select ${1}::int as n`).execute(unprepared);
      expect(await preparedOnConnection(unprepared)).toEqual([]);
    } finally {
      await unprepared.destroy();
    }
  });
});
