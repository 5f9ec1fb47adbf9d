import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findRepoRoot } from '@outflow/stack';
import { createLogger } from '@outflow/telemetry';
import { renderReport } from './report.js';
import { startScenarioPostgres } from './scenario-postgres.js';
import { runScenario, scenarioNames, type ScenarioResult } from './run-scenario.js';

// `npm run test:faults [--size quick|full] [--scenario name,...]`: runs the fault-injection scenarios against the
// real services and writes tools/faults/results/<date>-<size>.json and .md. Exit 1 when a scenario that ran failed.
async function main(args: string[]): Promise<number> {
  const size = args.includes('--size') ? args[args.indexOf('--size') + 1] : 'full';
  if (size !== 'quick' && size !== 'full') throw new Error('--size must be quick or full');
  const only = args.includes('--scenario') ? args[args.indexOf('--scenario') + 1]!.split(',') : scenarioNames;
  const logger = createLogger({ service: 'faults', level: 'warn' });
  const postgres = await startScenarioPostgres({ logger, databaseUrl: process.env['DATABASE_URL'] });
  const stamp = `${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${size}`;
  const directory = join(findRepoRoot(), 'tools', 'faults', 'results');
  const results: ScenarioResult[] = [];
  try {
    for (const name of only) {
      process.stdout.write(`scenario ${name}… `);
      const started = Date.now();
      // A scenario that throws (a fault it could not inject, a wait that timed out) fails; the others still run.
      const result = await runScenario(name, {
        createDatabase: postgres.createDatabase,
        size,
        logDirectory: join(directory, `${stamp}-logs`),
      }).catch((error: unknown): ScenarioResult => ({
        name,
        description: '',
        ran: true,
        passed: false,
        reason: error instanceof Error ? error.message : String(error),
      }));
      results.push(result);
      const verdict = result.ran ? (result.passed ? 'passed' : 'FAILED') : 'not run';
      process.stdout.write(`${verdict}${result.reason ? ` (${result.reason})` : ''} in ${Date.now() - started} ms\n`);
    }
  } finally {
    await postgres.stop();
  }
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, `${stamp}.json`), `${JSON.stringify({ size, results }, null, 2)}\n`);
  await writeFile(join(directory, `${stamp}.md`), renderReport(size, results));
  process.stdout.write(`report: tools/faults/results/${stamp}.md\n`);
  return results.some((result) => result.ran && !result.passed) ? 1 : 0;
}

// Stopped by a signal: exit through process.exit, so the services started so far are killed with us.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
