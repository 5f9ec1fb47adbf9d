import { sql } from 'kysely';

import type { Database } from '@outflow/db';

/** The server's write-ahead log counters (cluster-wide) at one moment. */
export interface WalCounters {
  records: number;
  fullPageImages: number;
  bytes: number;
  checkpointsTimed: number;
  checkpointsRequested: number;
}

/** What a drain wrote to the write-ahead log, per email delivered, and the checkpoints during it. */
export interface WalFigures {
  bytesPerEmail: number;
  recordsPerEmail: number;
  /** Whole 8 kB pages logged because the page's first change since a checkpoint: the price of random writes. */
  fullPageImagesPerEmail: number;
  /** Checkpoints started by checkpoint_timeout, and by the log reaching max_wal_size. */
  checkpoints: { timed: number; requested: number };
  /** The settings that decide how often checkpoints come. */
  settings: { max_wal_size: string; checkpoint_timeout: string };
}

/**
 * Reads pg_stat_wal and the checkpoint counters (pg_stat_checkpointer from PostgreSQL 17, pg_stat_bgwriter
 * before). Undefined when the server has neither view in the expected shape (a managed server may hide them).
 */
export async function readWalCounters(db: Database): Promise<WalCounters | undefined> {
  try {
    const { rows: wal } = await sql<{ wal_records: string; wal_fpi: string; wal_bytes: string }>`
      select wal_records, wal_fpi, wal_bytes from pg_stat_wal
    `.execute(db);
    const { rows: version } = await sql<{ n: number }>`
      select current_setting('server_version_num')::int as n
    `.execute(db);
    const { rows: checkpoints } =
      version[0]!.n >= 170_000
        ? await sql<{ timed: string; requested: string }>`
            select num_timed as timed, num_requested as requested from pg_stat_checkpointer
          `.execute(db)
        : await sql<{ timed: string; requested: string }>`
            select checkpoints_timed as timed, checkpoints_req as requested from pg_stat_bgwriter
          `.execute(db);
    return {
      records: Number(wal[0]!.wal_records),
      fullPageImages: Number(wal[0]!.wal_fpi),
      bytes: Number(wal[0]!.wal_bytes),
      checkpointsTimed: Number(checkpoints[0]!.timed),
      checkpointsRequested: Number(checkpoints[0]!.requested),
    };
  } catch {
    return undefined;
  }
}

export async function readWalSettings(db: Database): Promise<WalFigures['settings']> {
  const { rows } = await sql<{ max_wal_size: string; checkpoint_timeout: string }>`
    select current_setting('max_wal_size') as max_wal_size, current_setting('checkpoint_timeout') as checkpoint_timeout
  `.execute(db);
  return rows[0]!;
}

/** The log written between two readings, per email delivered in between. */
export function walFigures(
  before: WalCounters,
  after: WalCounters,
  emails: number,
  settings: WalFigures['settings'],
): WalFigures {
  const per = (value: number, decimals: number) =>
    emails > 0 ? Math.round((value / emails) * 10 ** decimals) / 10 ** decimals : 0;
  return {
    bytesPerEmail: per(after.bytes - before.bytes, 0),
    recordsPerEmail: per(after.records - before.records, 1),
    fullPageImagesPerEmail: per(after.fullPageImages - before.fullPageImages, 2),
    checkpoints: {
      timed: after.checkpointsTimed - before.checkpointsTimed,
      requested: after.checkpointsRequested - before.checkpointsRequested,
    },
    settings,
  };
}
