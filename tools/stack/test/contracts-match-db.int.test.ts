import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { emailEventTypes } from '@outflow/contracts';
import { createTestDatabase, type TestDatabase } from '@outflow/db/testing';

describe('contracts and schema agree', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('email-events types are exactly the email_event_type enum', async () => {
    const { rows } = await sql<{ label: string }>`
      select unnest(enum_range(null::email_event_type))::text as label
    `.execute(database.db);
    expect(rows.map((row) => row.label)).toEqual([...emailEventTypes]);
  });
});
