import { sql } from 'kysely';

import type { Database } from '@outflow/db';

import type { TickStatement } from './run-figures.js';

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
