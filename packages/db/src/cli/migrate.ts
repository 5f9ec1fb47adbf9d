import { databaseUrl, parseEnv, ConfigError } from '@outflow/config';
import { assertDatabaseReachable, createDb, describeDatabaseUrl } from '../create-db.js';
import { applyPendingMigrations, listMigrations, migrateDown, newerMigrations } from '../migrator.js';

const usage = `usage: pnpm migrate [latest | down [N] | list]
  latest   apply every pending migration (default)
  down N   roll back the last N migrations (default 1)
  list     show each migration and when it ran (and those a newer release ran)
Needs DATABASE_URL. Safe to run while another migrate runs: the second waits for the first.`;

async function main(args: string[]): Promise<number> {
  const [command = 'latest', countArg] = args;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!['latest', 'down', 'list'].includes(command)) {
    process.stderr.write(`unknown command "${command}"\n${usage}\n`);
    return 2;
  }
  let steps = 1;
  if (command === 'down' && countArg !== undefined) {
    steps = Number(countArg);
    if (!Number.isInteger(steps) || steps < 1) {
      process.stderr.write(`down takes a whole number of migrations >= 1, got "${countArg}"\n`);
      return 2;
    }
  }
  const { DATABASE_URL } = parseEnv({ DATABASE_URL: databaseUrl });
  await assertDatabaseReachable(DATABASE_URL);
  const db = createDb({ url: DATABASE_URL, maxConnections: 1, applicationName: 'outflow-migrate' });
  try {
    const where = describeDatabaseUrl(DATABASE_URL);
    if (command === 'list') {
      for (const migration of await listMigrations(db)) {
        process.stdout.write(
          `${migration.executedAt ? migration.executedAt.toISOString() : 'pending'.padEnd(24)}  ${migration.name}\n`,
        );
      }
      for (const name of await newerMigrations(db)) {
        process.stdout.write(`${'ran, newer than release'.padEnd(24)}  ${name}\n`);
      }
    } else if (command === 'down') {
      const names = await migrateDown(db, steps);
      process.stdout.write(
        names.length ? names.map((name) => `rolled back ${name}\n`).join('') : `nothing to roll back on ${where}\n`,
      );
    } else {
      const { applied: names, newer } = await applyPendingMigrations(db);
      if (newer.length > 0) {
        // After a rollback: this release runs on the schema a newer one expanded (docs/deploy.md, rolling back).
        process.stdout.write(
          `${where} has ${newer.length} migration(s) newer than this release (${newer.join(', ')}): nothing to apply\n`,
        );
        return 0;
      }
      process.stdout.write(
        names.length ? names.map((name) => `applied ${name}\n`).join('') : `${where} is up to date\n`,
      );
    }
    return 0;
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
