import { Migrator, sql, type MigrationResultSet, type Kysely } from 'kysely';
import { migrations } from './migrations/index.js';
import { migrationsNewerThanRelease } from './newer-migrations.js';

/** Migrations run before (and regardless of) the typed schema, so they take an untyped executor. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type AnyKysely = Kysely<any>;

function createMigrator(db: AnyKysely): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
}

/** Thrown when a migration run fails; names the migration and keeps the database error as `cause`. */
class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

function unwrap(result: MigrationResultSet): string[] {
  const failed = result.results?.find((item) => item.status === 'Error');
  if (result.error) {
    const detail = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MigrationError(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${detail}`, {
      cause: result.error,
    });
  }
  return (result.results ?? []).filter((item) => item.status === 'Success').map((item) => item.migrationName);
}

/**
 * Applies every pending migration. Safe when several run at once (two pods, a Job and a developer): kysely
 * takes a PostgreSQL advisory lock for the run, so the second waits and then finds nothing to do.
 * Returns the names applied by this call. A database a newer release migrated (after a rollback) has nothing to
 * apply: kysely would refuse it as corrupted, and the rolled-back release's pods could never start.
 */
export async function migrateToLatest(db: AnyKysely): Promise<string[]> {
  return (await applyPendingMigrations(db)).applied;
}

/**
 * migrateToLatest, also saying which migrations a newer release ran (then nothing is applied): what the migrate
 * command reports.
 */
export async function applyPendingMigrations(db: AnyKysely): Promise<{ applied: string[]; newer: string[] }> {
  const newer = await newerMigrations(db);
  if (newer.length > 0) return { applied: [], newer };
  return { applied: unwrap(await createMigrator(db).migrateToLatest()), newer };
}

/**
 * The migrations a newer release applied to this database, which this release does not have (see
 * migrationsNewerThanRelease); throws a MigrationError when the database ran unknown migrations of another kind.
 */
export async function newerMigrations(db: AnyKysely): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration`
    .execute(db)
    .catch((error: unknown) => {
      // 42P01 undefined_table: no migration has ever run here.
      if ((error as { code?: string }).code === '42P01') return { rows: [] };
      throw error;
    });
  try {
    return migrationsNewerThanRelease(
      Object.keys(migrations),
      rows.map((row) => row.name),
    );
  } catch (error) {
    throw new MigrationError((error as Error).message);
  }
}

/** Rolls back the most recent `steps` migrations (default 1). Returns the names rolled back. */
export async function migrateDown(db: AnyKysely, steps = 1): Promise<string[]> {
  const migrator = createMigrator(db);
  const rolledBack: string[] = [];
  for (let i = 0; i < steps; i++) {
    const names = unwrap(await migrator.migrateDown());
    if (names.length === 0) break;
    rolledBack.push(...names);
  }
  return rolledBack;
}

export interface MigrationState {
  name: string;
  executedAt: Date | null;
}

export async function listMigrations(db: AnyKysely): Promise<MigrationState[]> {
  const infos = await createMigrator(db).getMigrations();
  return infos.map((info) => ({ name: info.name, executedAt: info.executedAt ?? null }));
}
