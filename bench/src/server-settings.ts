import { totalmem } from 'node:os';

import { sql } from 'kysely';

import type { Database } from '@outflow/db';

import { statementStatsSettings } from './statement-stats.js';

/**
 * What the bench's embedded PostgreSQL runs with: statement statistics, and memory and checkpoints set as for a
 * production server of this workload instead of PostgreSQL's defaults, which are sized for a small machine:
 * - shared_buffers at a quarter of RAM, at most 8 GB (128 MB by default). With the default, the indexes of an M
 *   or L table do not fit, and every claim's index writes read pages from the OS cache: the figures would
 *   measure a misconfigured server, not the claim.
 * - max_wal_size 8 GB and min_wal_size 2 GB (1 GB and 80 MB by default), what PGTune sets for an OLTP server.
 *   With 1 GB, the L drain (~9 kB of log per email) requested a checkpoint every ~60 000 emails, and after
 *   each one the first change to every page logs the whole page again. 8 GB took the L drain's log from 9.4 to
 *   7.2 kB per email; its CPU per email did not measurably change.
 * A DATABASE_URL server runs with its own settings; the summary reports the ones it had.
 *
 * `trackPlanning` also counts each statement's planning time (the tick scenario: every claim statement is planned
 * again at every tick, and that is database time too). Drains leave it off: with many connections running the
 * same statements it contends on the statistics entries and would slow what it measures.
 */
export function benchServerSettings(
  options: { trackPlanning?: boolean } = {},
  ramBytes = totalmem(),
): Record<string, string> {
  const quarterMb = Math.floor(ramBytes / 4 / 1024 / 1024);
  return {
    ...statementStatsSettings,
    ...(options.trackPlanning ? { 'pg_stat_statements.track_planning': 'on' } : {}),
    shared_buffers: `${Math.max(128, Math.min(quarterMb, 8192))}MB`,
    max_wal_size: '8GB',
    min_wal_size: '2GB',
  };
}

/** The server's version and the settings that matter to the figures, as the summary's machine line shows them. */
export async function describeServer(db: Database): Promise<Record<string, string>> {
  const { rows } = await sql<{ version: string; shared_buffers: string; max_wal_size: string }>`
    select current_setting('server_version') as version, current_setting('shared_buffers') as shared_buffers,
      current_setting('max_wal_size') as max_wal_size
  `.execute(db);
  const { version, shared_buffers, max_wal_size } = rows[0]!;
  return { postgres: version.split(' ')[0]!, shared_buffers, max_wal_size };
}
