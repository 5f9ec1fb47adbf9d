import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './database.generated.js';
import { preparingPool, type QueryPool } from './prepared-statements.js';

export interface CreateDbOptions {
  url: string;
  /** Pool size. Default 10. */
  maxConnections?: number;
  /** Shown in pg_stat_activity, so a DBA can tell the services apart. */
  applicationName?: string;
  /** How long to wait for a connection before failing a query. Default 10 000 ms. */
  connectionTimeoutMs?: number;
  /** Called on errors of idle pooled connections (e.g. the server restarted); they are not thrown anywhere. */
  onPoolError?: (error: Error) => void;
  /**
   * Run statements marked with `prepared()` as named prepared statements. Default true. Turn off behind a
   * connection pooler in transaction mode that does not support them (PgBouncer before 1.21).
   */
  preparedStatements?: boolean;
  /**
   * The role every statement runs as (`-c role=...` at connection start), for a login that holds several roles.
   * A connection whose login cannot take the role fails to open: nothing ever runs with the login's own rights
   * by mistake. Default: the login's own role.
   */
  role?: string;
  /** Told how long each connection checkout waited, and handed the pool's counts to read when asked. */
  monitor?: PoolMonitor;
}

export interface PoolCounts {
  /** Connections open, idle or in use. */
  total: number;
  idle: number;
  /** Checkouts waiting for a connection: the pool is exhausted. */
  waiting: number;
  /** The pool's size. */
  max: number;
}

export interface PoolMonitor {
  /** Every checkout, with the seconds it waited for a connection (about 0 when one was idle). */
  checkedOut(waitSeconds: number): void;
  /** Hands over a reader of the pool's counts, for gauges read when scraped. */
  counts(read: () => PoolCounts): void;
}

export type Database = Kysely<DB>;

const DATE_OID = 1082;

/**
 * `date` columns come back as 'YYYY-MM-DD' strings: pg's default turns them into a Date at local midnight,
 * which shifts the day in any process whose TZ is not UTC (a mailbox's "local day" must never move).
 * timestamptz stays a Date; int8 stays a string so large counts never lose precision.
 */
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === DATE_OID && format !== 'binary'
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** The connection option that starts every session as `role` (fails to connect when the login may not take it). */
function startAs(role: string | undefined): { options?: string } {
  return role ? { options: `-c role=${role}` } : {};
}

export function createDb(options: CreateDbOptions): Database {
  const max = options.maxConnections ?? 10;
  const pool = new pg.Pool({
    connectionString: options.url,
    max,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    types: typeParsers,
    ...startAs(options.role),
  });
  pool.on('error', (error) => options.onPoolError?.(error));
  // The pool listens for errors only on idle clients. A connection that dies while checked out (between two
  // statements of a transaction, when the server restarts) emits 'error' on its client with no listener, which
  // Node turns into an uncaught exception that kills the process. The statement in flight fails anyway and the
  // pool discards the broken client when it comes back, so the error only needs reporting.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onPoolError?.(error));
  });
  const queryPool = options.preparedStatements === false ? pool : preparingPool(pool);
  const { monitor } = options;
  monitor?.counts(() => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }));
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool: monitor ? timedPool(queryPool, monitor) : queryPool }),
  });
}

/** A pool whose checkouts are timed: the wait for a free connection, which a statement's own time does not show. */
function timedPool(pool: QueryPool, monitor: PoolMonitor): QueryPool {
  return {
    async connect() {
      const started = performance.now();
      const client = await pool.connect();
      monitor.checkedOut((performance.now() - started) / 1000);
      return client;
    },
    end: () => pool.end(),
  };
}

/** Where a URL points, without the password: for error messages and logs. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/**
 * Fails fast with a clear message when the database cannot be reached, instead of letting the first query hang
 * in the pool. Used by every service at start-up.
 */
export async function assertDatabaseReachable(url: string, timeoutMs = 5_000, role?: string): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    ...startAs(role),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    const as = role ? ` as role ${role} (DATABASE_ROLE)` : '';
    throw new Error(`cannot reach PostgreSQL at ${describeDatabaseUrl(url)} (DATABASE_URL)${as}: ${reason}`, {
      cause: error,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}
