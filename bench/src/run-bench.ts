import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, createDb, dropDatabase, migrateToLatest } from '@outflow/db';
import { findRepoRoot, startPipeline, startPostgres, startTestStack } from '@outflow/stack';
import { createLogger } from '@outflow/telemetry';
import { generateDataset, sizes, type Size } from './datasets.js';
import { readProcessStats } from './process-stats.js';

// `pnpm bench [--size S|M|L] [--scenario drain]`: runs the real services as processes on the local stack and
// writes bench/results/<date>-<size>.json and .md. Figures are taken on the librdkafka mock broker.
async function main(args: string[]): Promise<void> {
  const size = (args.includes('--size') ? args[args.indexOf('--size') + 1] : 'S') as Size;
  if (!(size in sizes)) throw new Error('--size must be S, M or L');
  const scenario = args.includes('--scenario') ? args[args.indexOf('--scenario') + 1] : 'drain';
  if (scenario !== 'drain') throw new Error(`scenario ${scenario} is not implemented yet (available: drain)`);
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const dataDir = await mkdtemp(join(tmpdir(), 'outflow-bench-pg-'));
  const server = await startPostgres({ logger, databaseUrl: process.env['DATABASE_URL'], dataDir, persistent: false });
  const stack = await startTestStack();
  const database = `outflow_bench_${process.pid}`;
  const url = await createDatabase(server.adminUrl, database);
  const db = createDb({ url, maxConnections: 4 });
  try {
    await migrateToLatest(db);
    const generatedAt = Date.now();
    const spec = sizes[size];
    const sequenceId = await generateDataset(db, spec, { host: stack.smtp.host, port: stack.smtp.port });
    const generationMs = Date.now() - generatedAt;
    const pipeline = await startPipeline({
      databaseUrl: url,
      kafkaBrokers: stack.broker.brokers,
      schemaRegistryUrl: stack.registry.url,
      env: { PRODUCER_TICK_MS: '250', SENDER_CONCURRENCY: '12', SMTP_POOL_SIZE: '3' },
    });
    const pids = new Map([...pipeline.processes].map(([name, process]) => [name, process.child.pid!]));
    const before = new Map([...pids].map(([name, pid]) => [name, readProcessStats(pid)]));
    const peakRss = new Map<string, number>();
    const sampler = setInterval(() => {
      for (const [name, pid] of pids) {
        const stats = readProcessStats(pid);
        if (stats) peakRss.set(name, Math.max(peakRss.get(name) ?? 0, stats.rssMb));
      }
    }, 500);
    const started = Date.now();
    await stack.smtp.waitForMessages(spec.due, 60 * 60_000);
    const drainMs = Date.now() - started;
    clearInterval(sampler);
    const after = new Map([...pids].map(([name, pid]) => [name, readProcessStats(pid)]));
    const arrivals = stack.smtp.messages.map((message) => message.receivedAt.getTime()).sort((a, b) => a - b);
    const ids = stack.smtp.messages.map((message) => message.headers['x-outflow-email-id']);
    const duplicates = ids.length - new Set(ids).size;
    const sent = await db
      .selectFrom('email_queues')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('sequence_id', '=', sequenceId)
      .where('status', '=', 'sent')
      .executeTakeFirstOrThrow();
    await pipeline.stop();

    const processes = Object.fromEntries(
      [...pids.keys()].map((name) => {
        const cpu = (after.get(name)?.cpuSeconds ?? 0) - (before.get(name)?.cpuSeconds ?? 0);
        return [name, { cpuPercent: Math.round((cpu / (drainMs / 1000)) * 100), peakRssMb: peakRss.get(name) ?? null }];
      }),
    );
    const result = {
      broker: 'librdkafka mock cluster (dev/test only; says nothing about a real broker)',
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      size,
      scenario,
      dataset: { ...spec, generationMs },
      drain: {
        emails: spec.due,
        drainSeconds: drainMs / 1000,
        emailsPerSecond: Math.round(spec.due / (drainMs / 1000)),
        firstToLastArrivalSeconds: (arrivals.at(-1)! - arrivals[0]!) / 1000,
      },
      correctness: { duplicatesAtSink: duplicates, sentInDatabase: Number(sent.n), lost: spec.due - new Set(ids).size },
      processes,
      note: 'single run; repeated-run medians are not implemented yet',
    };
    const directory = join(findRepoRoot(), 'bench', 'results');
    await mkdir(directory, { recursive: true });
    const stamp = `${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${size}`;
    await writeFile(join(directory, `${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\nwrote bench/results/${stamp}.json\n`);
  } finally {
    await db.destroy();
    // On a DATABASE_URL server the bench database would otherwise outlive the run.
    await dropDatabase(server.adminUrl, database);
    await stack.close();
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
