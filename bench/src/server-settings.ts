import { totalmem } from 'node:os';
import { sql } from 'kysely';
import type { Database } from '@outflow/db';
import { statementStatsSettings } from './statement-stats.js';

/**
 * What the bench's embedded PostgreSQL runs with: statement statistics, and shared_buffers sized as a production
 * server's would be (a quarter of RAM, at most 8 GB) instead of the 128 MB default. With the default, the
 * indexes of an M or L table do not fit, and every claim's index writes read pages from the OS cache: the figures
 * would measure a misconfigured server, not the claim. A DATABASE_URL server runs with its own settings; the
 * summary reports the ones it had.
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
  };
}

/** The server's version and the settings that matter to the figures, as the summary's machine line shows them. */
export async function describeServer(db: Database): Promise<Record<string, string>> {
  const { rows } = await sql<{ version: string; shared_buffers: string }>`
    select current_setting('server_version') as version, current_setting('shared_buffers') as shared_buffers
  `.execute(db);
  return { postgres: rows[0]!.version.split(' ')[0]!, shared_buffers: rows[0]!.shared_buffers };
}
