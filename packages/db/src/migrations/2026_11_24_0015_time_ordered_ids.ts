import { sql, type Kysely } from 'kysely';

/** Every table whose id the database draws (all of them random version 4 UUIDs until now). */
const tables = [
  'api_keys',
  'contacts',
  'delivery_events',
  'email_events',
  'email_queues',
  'kafka_batches',
  'mailboxes',
  'sequence_contacts',
  'sequences',
  'steps',
];

/**
 * New rows get time-ordered ids (UUID version 7, RFC 9562: 48 bits of Unix milliseconds, then random bits) instead
 * of random ones.
 *
 * A random id puts each new entry of an index keyed by it on a random leaf page. Every email sent writes ~17 such
 * entries: its next step's row and its own three rewrites (none is a HOT update) put four entries each in the
 * primary key and in the (sequence_contact_id, step_order) key; its three delivery events an id and an email id
 * each; its sent event an id, an email id and an event key. With millions of rows those pages are spread over the
 * whole of each index. The first change to a page after a checkpoint writes the whole 8 kB page to the log, and
 * the pages do not stay in cache on a server with less memory than the indexes. With time-ordered ids the entries
 * of recent emails sit together at the right end of each index, and the pages written are the recent few.
 *
 * Existing rows keep their ids: ids are opaque strings to every reader, and the two kinds sort and compare as the
 * same type. PostgreSQL 18 has `uuidv7()` built in (monotonic within a backend), and the function uses it there.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ n: number }>`select current_setting('server_version_num')::int as n`.execute(db);
  const builtIn = rows[0]!.n >= 180_000;
  await sql`
    create function uuid_v7() returns uuid language sql volatile parallel safe as $$
      ${
        builtIn
          ? sql.raw('select uuidv7()')
          : // The version 4 UUID's random bits with its first six bytes replaced by the milliseconds, and its
            // version nibble turned from 4 (0100) into 7 (0111) by setting bits 52 and 53.
            sql.raw(`select encode(
              set_bit(set_bit(
                overlay(uuid_send(gen_random_uuid())
                  placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
                  from 1 for 6),
                52, 1), 53, 1),
              'hex')::uuid`)
      }
    $$
  `.execute(db);
  for (const table of tables) {
    await sql`alter table ${sql.table(table)} alter column id set default uuid_v7()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of tables) {
    await sql`alter table ${sql.table(table)} alter column id set default gen_random_uuid()`.execute(db);
  }
  await sql`drop function uuid_v7()`.execute(db);
}
