import { sql } from 'kysely';

import type { Database } from '@outflow/db';

import type { TickStatement } from './run-figures.js';

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

/**
 * Figures of the statements each spec names (by a fragment of its text, e.g. its prepared name), from
 * pg_stat_statements since the last reset: calls, and per call the mean execution and planning time, rows and
 * shared buffers. A spec several texts match (a statement built two ways) adds them up.
 */
export async function statementFigures(
  db: Database,
  specs: readonly { label: string; fragment: string }[],
): Promise<TickStatement[]> {
  const { rows } = await sql<{
    query: string;
    calls: string;
    mean_ms: number;
    plan_ms: number;
    rows: string;
    buffers: string;
  }>`
    select query, calls, mean_exec_time as mean_ms, total_plan_time as plan_ms, rows,
      shared_blks_hit + shared_blks_read as buffers
    from pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database()) and toplevel
  `.execute(db);
  return specs.map(({ label, fragment }) => {
    const matching = rows.filter((row) => row.query.includes(fragment));
    const calls = matching.reduce((sum, row) => sum + Number(row.calls), 0);
    const totalMs = matching.reduce((sum, row) => sum + row.mean_ms * Number(row.calls), 0);
    const planMs = matching.reduce((sum, row) => sum + row.plan_ms, 0);
    const rowCount = matching.reduce((sum, row) => sum + Number(row.rows), 0);
    const buffers = matching.reduce((sum, row) => sum + Number(row.buffers), 0);
    const per = (value: number) => (calls === 0 ? 0 : Math.round((value / calls) * 100) / 100);
    return {
      label,
      calls,
      meanMs: per(totalMs),
      planMs: per(planMs),
      rowsPerCall: per(rowCount),
      buffersPerCall: per(buffers),
    };
  });
}
