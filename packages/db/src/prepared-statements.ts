import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type pg from 'pg';

const MARKER = /^\/\* outflow:prepared ([a-z0-9-]+) \*\//;

/** Most statements prepared on one connection; beyond it, further texts run unnamed (planned every time). */
export const MAX_PREPARED_PER_CONNECTION = 64;

/**
 * Marks a hot statement of fixed text (its inputs are parameters, lists are arrays) to be prepared once per
 * connection: PostgreSQL parses it once, and after five executions keeps a generic plan when that costs no more
 * than planning for each call, where an unnamed statement is planned on every call (1-2 ms for the big
 * multi-CTE statements, as much as executing them). `name` says which statement it is in pg_prepared_statements.
 */
export function prepared<T>(name: string, statement: RawBuilder<T>): RawBuilder<T> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`a prepared statement's name is lowercase words: ${name}`);
  return sql<T>`/* outflow:prepared ${sql.raw(name)} */ ${statement}`;
}

/**
 * The name a marked statement is prepared under on a connection, or undefined for a statement to run unnamed.
 * The name carries a hash of the text, so two texts under one mark (a statement built two ways) never collide.
 */
export function preparedNameOf(text: string): string | undefined {
  const mark = MARKER.exec(text);
  if (!mark) return undefined;
  return `${mark[1]}-${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
}

/** What kysely's PostgresDialect asks of a pool: pg's Pool, or one that prepares marked statements. */
export interface QueryPool {
  connect(): Promise<{ query: pg.PoolClient['query']; release(): void }>;
  end(): Promise<void>;
}

/**
 * A pool whose marked statements run as named (prepared) statements. pg remembers per connection which names it
 * has parsed, and after the first time sends only Bind and Execute. Anything else passes through unchanged.
 */
export function preparingPool(pool: pg.Pool): QueryPool {
  const wrappers = new WeakMap<pg.PoolClient, Awaited<ReturnType<QueryPool['connect']>>>();
  const wrap = (client: pg.PoolClient) => {
    const names = new Set<string>();
    const query = ((...args: unknown[]) => {
      const [text, values] = args;
      const name = typeof text === 'string' && Array.isArray(values) ? preparedNameOf(text) : undefined;
      if (name === undefined || (!names.has(name) && names.size >= MAX_PREPARED_PER_CONNECTION)) {
        return (client.query as (...queryArgs: unknown[]) => unknown)(...args);
      }
      names.add(name);
      return client.query({ name, text: text as string, values: values as unknown[] });
    }) as pg.PoolClient['query'];
    return { query, release: () => client.release() };
  };
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = wrap(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
