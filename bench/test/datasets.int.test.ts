import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '@outflow/db/testing';
import { generateDataset } from '../src/datasets.js';

describe('generated datasets', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('spreads a steady arrival over the mailboxes in turns, at the given rate', async () => {
    const size = { due: 60, history: 12, mailboxes: 4 };
    const sequenceId = await generateDataset(
      database.db,
      size,
      { host: '127.0.0.1', port: 2525 },
      {
        arrival: { ratePerSecond: 10 },
      },
    );
    const { rows } = await sql<{ mailbox: string; at_ms: string }>`
      select m.email as mailbox, (extract(epoch from e.scheduled_for) * 1000)::bigint as at_ms
      from email_queues e join mailboxes m on m.id = e.mailbox_id
      where e.sequence_id = ${sequenceId}
      order by e.scheduled_for
    `.execute(database.db);
    expect(rows).toHaveLength(60);
    // 100 ms apart, in due order.
    const gaps = rows.slice(1).map((row, index) => Number(row.at_ms) - Number(rows[index]!.at_ms));
    expect(new Set(gaps)).toEqual(new Set([100]));
    // Every window of 4 consecutive emails holds one of each mailbox: no mailbox gets its share in one burst.
    for (let start = 0; start + 4 <= rows.length; start += 4) {
      expect(new Set(rows.slice(start, start + 4).map((row) => row.mailbox)).size).toBe(4);
    }
  });
});
