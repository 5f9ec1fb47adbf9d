import { mkdtemp, rm, writeFile } from 'node:fs/promises';

import { tmpdir } from 'node:os';

import { join } from 'node:path';

import { sql } from 'kysely';

import { makeWorkerUtils } from 'graphile-worker';

import { createDatabase, createDb, dropDatabase, migrateToLatest } from '@outflow/db';

import { findRepoRoot, spawnProcess, startArrivalSink, type RunningProcess } from '@outflow/stack';

import { generateDataset, sizes, type Size } from '../datasets.js';

import { benchCpuSeconds, drainSettings } from '../drain-run.js';
import { readProcessStats, readProcessTreeCpuSeconds } from '../process-stats.js';

import { waitForSentCount } from '../sent-count.js';

import { loadDueEmails, renderDueEmail } from './due-messages.js';

export type ReferenceKind = 'bare-nodemailer' | 'job-queue';

/** What a reference is run with, recorded beside its figures. */
export const referenceSettings = {
  /** Connections per mailbox: Outflow's SMTP_POOL_SIZE in the same run. */
  poolSize: Number(drainSettings.SMTP_POOL_SIZE),
  /** bare-nodemailer: messages in flight at once (nodemailer's pools queue the rest). */
  inFlight: 1_000,
  /** job-queue: graphile-worker's concurrent jobs in its one process. */
  concurrentJobs: 64,
};

export interface ReferenceRun {
  kind: ReferenceKind;
  sendable: number;
  drainSeconds: number;
  emailsPerSecond: number;
  correctness: { duplicatesAtSink: number; lost: number; sentInDatabase?: number };
  /** CPU seconds during the drain, per process: the reference's own, PostgreSQL's (every backend), the sink's. */
  cpuSeconds: Record<string, number>;
  /** All of it, per email sent. */
  cpuMsPerEmail: number;
  peakRssMb: number | null;
}

const compiled = (name: string) => join(findRepoRoot(), 'bench', 'dist', 'src', 'references', `${name}.js`);

/**
 * Sends the size's due emails the reference's way, on a database generated as Outflow's drain generates it and to
 * the same kind of sink, and measures it as the drain is measured: from the moment the reference starts its work
 * to the last arrival.
 */
export async function runReference(
  kind: ReferenceKind,
  adminUrl: string,
  size: Size,
  run: number,
  options: { postgresPid?: number } = {},
): Promise<ReferenceRun> {
  const database = `outflow_bench_ref_${process.pid}_${run}`;
  const sink = await startArrivalSink({ idHeader: 'X-Outflow-Email-Id' });
  const url = await createDatabase(adminUrl, database);
  const db = createDb({ url, maxConnections: 4 });
  const work = await mkdtemp(join(tmpdir(), 'outflow-bench-ref-'));
  let child: RunningProcess | undefined;
  try {
    await migrateToLatest(db);
    const sequenceId = await generateDataset(db, sizes[size], { host: sink.host, port: sink.port });
    const due = await loadDueEmails(db, sequenceId);
    if (due.length !== sizes[size].due) throw new Error(`expected ${sizes[size].due} due emails, found ${due.length}`);
    if (kind === 'bare-nodemailer') {
      // Rendered before the clock starts: this reference measures the transport alone.
      const file = join(work, 'messages.json');
      await writeFile(file, JSON.stringify(await Promise.all(due.map(renderDueEmail))));
      child = spawnProcess(process.execPath, [
        compiled('bare-nodemailer-process'),
        file,
        String(referenceSettings.poolSize),
        String(referenceSettings.inFlight),
      ]);
    } else {
      const utils = await makeWorkerUtils({ connectionString: url });
      try {
        await utils.migrate();
        // The backlog, as jobs: one per due email, all runnable now.
        for (let start = 0; start < due.length; start += 10_000) {
          await utils.addJobs(
            due.slice(start, start + 10_000).map((email) => ({ identifier: 'send_email', payload: { id: email.id } })),
          );
        }
      } finally {
        await utils.release();
      }
      child = spawnProcess(process.execPath, [
        compiled('job-queue-process'),
        url,
        String(referenceSettings.poolSize),
        String(referenceSettings.concurrentJobs),
      ]);
    }
    await child.waitForOutput(/^ready$/m, 120_000);
    await sql`checkpoint`.execute(db).catch(() => undefined);
    const pid = child.child.pid!;
    const cpuOf = () => ({
      reference: readProcessStats(pid)?.cpuSeconds ?? 0,
      postgres: options.postgresPid ? (readProcessTreeCpuSeconds(options.postgresPid) ?? 0) : 0,
      sink: benchCpuSeconds(),
    });
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, readProcessStats(pid)?.rssMb ?? 0);
    }, 500);
    const before = cpuOf();
    const started = Date.now();
    child.child.stdin!.write('go\n');
    await sink.waitForArrivals(due.length, 60 * 60_000);
    const drainMs = Date.now() - started;
    const after = cpuOf();
    clearInterval(sampler);
    const ids = sink.arrivals.map((arrival) => arrival.id);
    const unique = new Set(ids).size;
    const sentInDatabase = kind === 'job-queue' ? await waitForSentCount(db, sequenceId, due.length) : undefined;
    const cpuSeconds = {
      [kind]: after.reference - before.reference,
      ...(options.postgresPid ? { 'postgres (all backends)': after.postgres - before.postgres } : {}),
      'bench (sink)': after.sink - before.sink,
    };
    const totalCpu = Object.values(cpuSeconds).reduce((sum, seconds) => sum + seconds, 0);
    return {
      kind,
      sendable: due.length,
      drainSeconds: drainMs / 1000,
      emailsPerSecond: Math.round(due.length / (drainMs / 1000)),
      correctness: {
        duplicatesAtSink: ids.length - unique,
        lost: due.length - unique,
        ...(sentInDatabase === undefined ? {} : { sentInDatabase }),
      },
      cpuSeconds,
      cpuMsPerEmail: (totalCpu * 1000) / due.length,
      peakRssMb: peakRss || null,
    };
  } finally {
    child?.kill('SIGTERM');
    await child?.waitForExit(30_000).catch(() => child?.kill('SIGKILL'));
    await db.destroy();
    await dropDatabase(adminUrl, database);
    await sink.stop();
    await rm(work, { recursive: true, force: true });
  }
}
