import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, createDb, dropDatabase, migrateToLatest } from '@outflow/db';
import { findRepoRoot, startPostgres } from '@outflow/stack';
import { createLogger } from '@outflow/telemetry';
import { renderReport } from './report.js';
import { runScenario, scenarioNames, type ScenarioResult } from './scenarios.js';

// `pnpm test:faults [--size quick|full] [--scenario name,...]`: runs the fault-injection scenarios against the
// real services and writes faults/results/<date>-<size>.json and .md. Exit 1 when a scenario that ran failed.
async function main(args: string[]): Promise<number> {
  const size = args.includes('--size') ? args[args.indexOf('--size') + 1] : 'full';
  if (size !== 'quick' && size !== 'full') throw new Error('--size must be quick or full');
  const only = args.includes('--scenario') ? args[args.indexOf('--scenario') + 1]!.split(',') : scenarioNames;
  const logger = createLogger({ service: 'faults', level: 'warn' });
  const dataDir = await mkdtemp(join(tmpdir(), 'outflow-faults-pg-'));
  const server = await startPostgres({
    logger,
    databaseUrl: process.env['DATABASE_URL'],
    dataDir,
    persistent: false,
    fast: true,
  });
  let counter = 0;
  const createScenarioDatabase = async () => {
    const name = `outflow_faults_${process.pid}_${counter++}`;
    const url = await createDatabase(server.adminUrl, name);
    const db = createDb({ url, maxConnections: 5 });
    await migrateToLatest(db);
    return {
      url,
      db,
      drop: async () => {
        await db.destroy();
        await dropDatabase(server.adminUrl, name);
      },
    };
  };
  const results: ScenarioResult[] = [];
  try {
    for (const name of only) {
      process.stdout.write(`scenario ${name}… `);
      const started = Date.now();
      const result = await runScenario(name, { createDatabase: createScenarioDatabase, size });
      results.push(result);
      process.stdout.write(
        `${result.ran ? (result.passed ? 'passed' : 'FAILED') : `not run (${result.reason})`} in ${Date.now() - started} ms\n`,
      );
    }
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const directory = join(findRepoRoot(), 'faults', 'results');
  await mkdir(directory, { recursive: true });
  const stamp = `${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${size}`;
  await writeFile(join(directory, `${stamp}.json`), `${JSON.stringify({ size, results }, null, 2)}\n`);
  await writeFile(join(directory, `${stamp}.md`), renderReport(size, results));
  process.stdout.write(`report: faults/results/${stamp}.md\n`);
  return results.some((result) => result.ran && !result.passed) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
