import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorkspace, findRepoRoot, startPostgres } from '@outflow/stack';
import { createLogger } from '@outflow/telemetry';
import { sizes, type Size } from './datasets.js';
import { drainSettings, runDrain, type DrainRun } from './drain-run.js';
import { statementStatsSettings } from './statement-stats.js';
import { median, renderDrainSummary, summarizeDrains } from './summary.js';

function option(args: string[], name: string): string | undefined {
  return args.includes(name) ? args[args.indexOf(name) + 1] : undefined;
}

// `pnpm bench [--size S|M|L] [--scenario drain] [--runs N] [--profile]`: runs the real services as processes on the local
// stack, N times (default 3), and writes bench/results/<date>-<size>.json (every run and the medians) and .md
// (the summary). `--profile` runs the services under `node --cpu-prof` (profiles kept beside the results) and
// adds where each one spent its CPU time to the summary; profiling slows them, so its figures are not comparable.
// Figures are taken on the librdkafka mock broker and labelled so.
async function main(args: string[]): Promise<void> {
  const size = (option(args, '--size') ?? 'S') as Size;
  if (!(size in sizes)) throw new Error('--size must be S, M or L');
  const scenario = option(args, '--scenario') ?? 'drain';
  if (scenario !== 'drain') throw new Error(`scenario ${scenario} is not implemented yet (available: drain)`);
  const runCount = Number(option(args, '--runs') ?? 3);
  if (!Number.isInteger(runCount) || runCount < 1 || runCount > 20) throw new Error('--runs must be 1 to 20');
  const profile = args.includes('--profile');
  const stamp = `${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${size}`;
  const directory = join(findRepoRoot(), 'bench', 'results');
  // The services run compiled, as in production; build first so the figures are of this checkout's code.
  buildWorkspace();
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const dataDir = await mkdtemp(join(tmpdir(), 'outflow-bench-pg-'));
  const server = await startPostgres({
    logger,
    databaseUrl: process.env['DATABASE_URL'],
    dataDir,
    persistent: false,
    settings: statementStatsSettings,
  });
  try {
    const runs: DrainRun[] = [];
    for (let run = 1; run <= runCount; run++) {
      process.stderr.write(`drain ${size}, run ${run} of ${runCount}… `);
      const profileDir = profile ? join(directory, `${stamp}-profiles`, `run-${run}`) : undefined;
      if (profileDir) await mkdir(profileDir, { recursive: true });
      const postgresPid = server.pid();
      runs.push(
        await runDrain(server.adminUrl, size, run, {
          ...(profileDir ? { profileDir } : {}),
          ...(postgresPid ? { postgresPid } : {}),
        }),
      );
      process.stderr.write(`${runs.at(-1)!.emailsPerSecond} emails/s\n`);
    }
    const summary = summarizeDrains(runs);
    const result = {
      broker: 'librdkafka mock cluster (dev/test only; says nothing about a real broker)',
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      size,
      scenario,
      settings: drainSettings,
      dataset: { ...sizes[size], generationMs: median(runs.map((run) => run.generationMs)) },
      // The median figures, kept at the top level where earlier results had their single run.
      drain: {
        emails: sizes[size].due,
        drainSeconds: summary.drainSeconds,
        emailsPerSecond: summary.emailsPerSecond,
        firstToLastArrivalSeconds: summary.firstToLastArrivalSeconds,
      },
      correctness: summary.correctness,
      processes: summary.processes,
      median: summary,
      runs,
    };
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, `${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(join(directory, `${stamp}.md`), renderDrainSummary(result));
    process.stdout.write(`${renderDrainSummary(result)}\nwrote bench/results/${stamp}.json and .md\n`);
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

// Stopped by a signal: exit through process.exit, so the services started so far are killed with us.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
