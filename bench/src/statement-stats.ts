import { sql } from 'kysely';

import type { Database } from '@outflow/db';

/** Server settings the bench's embedded PostgreSQL runs with, so statement statistics can be read. */
export const statementStatsSettings = {
  shared_preload_libraries: 'pg_stat_statements',
  // Statements run by triggers and functions too, so their cost shows up as their own rows.
  'pg_stat_statements.track': 'all',
};

export interface StatementStat {
  query: string;
  /** false for a statement run by a trigger or function (its time is also inside its caller's). */
  topLevel: boolean;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  /** Shared buffers hit plus read. */
  buffers: number;
}

/**
 * Starts counting statements of this database from zero. Returns false when pg_stat_statements is not loaded
 * (a DATABASE_URL server without it in shared_preload_libraries): the bench then runs without statement figures.
 */
export async function resetStatementStats(db: Database): Promise<boolean> {
  try {
    await sql`create extension if not exists pg_stat_statements`.execute(db);
    await sql`select pg_stat_statements_reset()`.execute(db);
    return true;
  } catch {
    return false;
  }
}

/** The statements of this database that took the most execution time since the reset. */
export async function readStatementStats(db: Database, limit = 15): Promise<StatementStat[]> {
  const { rows } = await sql<{
    query: string;
    toplevel: boolean;
    calls: string;
    total_ms: number;
    mean_ms: number;
    rows: string;
    buffers: string;
  }>`
    select regexp_replace(query, '\\s+', ' ', 'g') as query, toplevel, calls, total_exec_time as total_ms,
      mean_exec_time as mean_ms, rows, shared_blks_hit + shared_blks_read as buffers
    from pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database())
      and query not ilike '%pg_stat_statements%'
    order by total_exec_time desc
    limit ${limit}
  `.execute(db);
  return rows.map((row) => ({
    query: row.query.length > 160 ? `${row.query.slice(0, 157)}...` : row.query,
    topLevel: row.toplevel,
    calls: Number(row.calls),
    totalMs: Math.round(row.total_ms),
    meanMs: Math.round(row.mean_ms * 1000) / 1000,
    rows: Number(row.rows),
    buffers: Number(row.buffers),
  }));
}
