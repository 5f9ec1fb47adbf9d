import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';

import { cpus, tmpdir } from 'node:os';

import { join } from 'node:path';

import { createDb } from '@outflow/db';

import { buildWorkspace, findRepoRoot, pinnedKafkaVersion, startOtlpReceiver, startPostgres } from '@outflow/stack';

import { createLogger } from '@outflow/telemetry';

import { capacityProfiles, sizes, type CapacityProfile, type Size } from './datasets.js';

import { drainSettings, runDrain } from './drain-run.js';
import { benchServerSettings, describeServer } from './server-settings.js';

import { medianTick, renderTickSummary } from './tick-summary.js';
import { renderSoakSummary } from './soak-summary.js';

import { timelineFigures } from './timeline-table.js';

import { runTicks, tickSettings } from './tick-run.js';
import { compare, renderComparison } from './references/comparison.js';

import { referenceSettings, runReference, type ReferenceKind, type ReferenceRun } from './references/reference-run.js';

import { startSittingBroker } from './warm-broker.js';
import { renderTracingSummary, summarizeTracing, type TracingVariantRuns } from './tracing-summary.js';

import { renderDrainSummary, renderSteadySummary, summarizeDrains, type SteadyLevel } from './summary.js';
import { type DrainRun, median, type TickRun } from './run-figures.js';
import { queueStatsSettings, renderQueueStatsSummary, runQueueStats, type QueueStatsRun } from './queue-stats-run.js';

const scenarios = ['drain', 'steady', 'tick', 'queue-stats', 'soak', 'compare', 'tracing'] as const;
/** The scenarios that generate a dataset per --sizes entry and run only the producer, not a drain. */
const producerOnly = new Set<Scenario>(['tick', 'queue-stats']);
type Scenario = (typeof scenarios)[number];

/** How often a drain samples RSS and dead tuples: about 30 samples for a drain of each size on this machine class. */
const timelineEveryMs: Record<Size, number> = { S: 1_000, M: 10_000, L: 60_000 };

function option(args: string[], name: string): string | undefined {
  return args.includes(name) ? args[args.indexOf(name) + 1] : undefined;
}

/** Command-line options, validated up front: a typo fails before minutes of setup, with what is allowed. */
function parseOptions(args: string[]) {
  const size = (option(args, '--size') ?? 'S') as Size;
  if (!(size in sizes)) throw new Error('--size must be S, M or L');
  const scenario = (option(args, '--scenario') ?? 'drain') as Scenario;
  if (!scenarios.includes(scenario)) throw new Error(`--scenario must be one of: ${scenarios.join(', ')}`);
  const runCount = Number(option(args, '--runs') ?? 3);
  if (!Number.isInteger(runCount) || runCount < 1 || runCount > 20) throw new Error('--runs must be 1 to 20');
  const loads = (option(args, '--loads') ?? '20,50,80').split(',').map(Number);
  if (loads.some((load) => !Number.isInteger(load) || load < 1 || load > 100)) {
    throw new Error('--loads must be percentages of the drain rate, 1 to 100, comma-separated (e.g. 20,50,80)');
  }
  const drainRate = option(args, '--drain-rate') === undefined ? undefined : Number(option(args, '--drain-rate'));
  if (drainRate !== undefined && !(Number.isInteger(drainRate) && drainRate > 0)) {
    throw new Error('--drain-rate must be a positive whole number of emails per second');
  }
  const tickSizes = (option(args, '--sizes') ?? 'S,M').split(',') as Size[];
  if (tickSizes.some((tickSize) => !(tickSize in sizes)))
    throw new Error('--sizes must be sizes among S, M and L (e.g. S,M)');
  const capacity = (option(args, '--capacity') ?? 'unlimited') as CapacityProfile;
  if (!capacityProfiles.includes(capacity))
    throw new Error(`--capacity must be one of: ${capacityProfiles.join(', ')}`);
  if (capacity !== 'unlimited' && scenario !== 'drain') {
    throw new Error('--capacity realistic is for the drain scenario (the others measure rates every mailbox can send)');
  }
  const minutes = Number(option(args, '--minutes') ?? 30);
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error('--minutes must be more than 0 and at most 1440');
  const serviceEnv: Record<string, string> = {};
  args.forEach((arg, index) => {
    if (arg !== '--set') return;
    const setting = args[index + 1] ?? '';
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(setting);
    if (!match)
      throw new Error(`--set takes KEY=VALUE, a service setting (e.g. KAFKA_FETCH_MIN_BYTES=65536); got '${setting}'`);
    serviceEnv[match[1]!] = match[2]!;
  });
  if (Object.keys(serviceEnv).length > 0 && producerOnly.has(scenario))
    throw new Error('--set is for the scenarios that drain through the services (not tick or queue-stats)');
  return {
    size,
    scenario,
    serviceEnv,
    runCount,
    loads,
    drainRate,
    tickSizes,
    minutes,
    capacity,
    profile: args.includes('--profile'),
  };
}

// `pnpm bench [--size S|M|L] [--scenario drain|steady|tick|queue-stats|soak|compare|tracing] [--runs N] [--loads 20,50,80] [--drain-rate N]
// [--sizes S,M] [--minutes N] [--capacity unlimited|realistic] [--profile] [--set KEY=VALUE]...`
// runs the real services (compiled) as processes on the local stack and writes bench/results/runs/<date>-<size>.json
// (every run and the medians) and .md (the summary).
// - drain: everything due at once, N times: emails/s end to end, drain time, follow-up latency.
// - steady: emails come due at each load level's rate (a share of --drain-rate, or of a drain measured first),
//   N runs per level: scheduling lag and follow-up latency percentiles.
// - tick: the producer's claim tick with S's due count in tables of each of --sizes (pg_stat_statements); each
//   size is generated once and claimed in N rounds.
// - queue-stats: the producer's /metrics queue gauges over each of --sizes' whole backlog, everything due and left
//   unclaimed, refreshed 10×N times (pg_stat_statements).
// - compare: Outflow's drain beside its references in one sitting, N runs each, interleaved: pre-rendered messages
//   sent by bare nodemailer pools (the transport's own cost) and one graphile-worker job per email (what a team
//   would build instead); medians, CPU per email per process and Outflow's rate over each.
// - tracing: the drain N times each with tracing off, at 1 % of emails and at every email (OTLP to a receiver
//   that only counts), interleaved: the rate and the services' CPU per email of each against off.
// - soak: --minutes (default 30) at the first of --loads (default 50%): throughput, RSS and dead tuples over time.
// `--capacity realistic` (drain only) gives the mailboxes daily capacities of 50-500 and a Zipf-skewed backlog: the
// drain sends what capacity allows today and checks no mailbox went over it.
// `--set KEY=VALUE` (repeatable) runs Outflow's services with that setting over the bench's own (drainSettings),
// e.g. `--set KAFKA_FETCH_MIN_BYTES=65536`; the results record the settings used.
// `--profile` runs the services under `node --cpu-prof` (profiles kept beside the results) and adds where each
// one spent its CPU time to the summary; profiling slows them, so its figures are not comparable.
// Figures are taken on one Apache Kafka node (KRaft) on the same machine, and labelled with its version.
async function main(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const { size, scenario, runCount } = options;
  const label = producerOnly.has(scenario) ? options.tickSizes.join('') : size;
  const stamp = `${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${label}${scenario === 'drain' ? '' : `-${scenario}`}${options.capacity === 'unlimited' ? '' : `-${options.capacity}`}`;
  const directory = join(findRepoRoot(), 'bench', 'results', 'runs');
  // The services run compiled, as in production; build first so the figures are of this checkout's code.
  buildWorkspace();
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const dataDir = await mkdtemp(join(tmpdir(), 'outflow-bench-pg-'));
  const server = await startPostgres({
    logger,
    databaseUrl: process.env['DATABASE_URL'],
    dataDir,
    persistent: false,
    settings: benchServerSettings({ trackPlanning: producerOnly.has(scenario) }),
  });
  const cluster = await startSittingBroker().catch(async (error: unknown) => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  let runNumber = 0;
  const run = async (
    label: string,
    ratePerSecond?: number,
    extraEnv: Record<string, string> = {},
  ): Promise<DrainRun> => {
    runNumber += 1;
    process.stderr.write(`${label}… `);
    const profileDir = options.profile ? join(directory, `${stamp}-profiles`, `run-${runNumber}`) : undefined;
    if (profileDir) await mkdir(profileDir, { recursive: true });
    const postgresPid = server.pid();
    const result = await runDrain(server.adminUrl, size, runNumber, {
      cluster,
      ...(profileDir ? { profileDir } : {}),
      ...(postgresPid ? { postgresPid } : {}),
      // A drain's summary shows its timeline; a steady run's does not, so it takes no samples.
      ...(ratePerSecond ? { ratePerSecond } : { timelineEveryMs: timelineEveryMs[size] }),
      capacity: options.capacity,
      serviceEnv: { ...options.serviceEnv, ...extraEnv },
    });
    process.stderr.write(
      `${result.emailsPerSecond} emails/s` +
        (result.lagMs ? `, lag p99 ${result.lagMs.p99} ms` : '') +
        (result.followupMs ? `, follow-up p99 ${result.followupMs.p99} ms` : '') +
        '\n',
    );
    return result;
  };
  try {
    const admin = createDb({ url: server.adminUrl, maxConnections: 1 });
    const database = await describeServer(admin).finally(() => admin.destroy());
    const common = {
      broker: `Apache Kafka ${pinnedKafkaVersion()} (KRaft, one combined node, on the same machine; one warm broker for the sitting, topics of their own per run)`,
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, ...database },
      size,
      scenario,
      settings: { ...drainSettings, ...options.serviceEnv },
    };
    if (!producerOnly.has(scenario)) {
      // The first drain on a broker still compiles the paths only a drain takes; none of the measured runs should.
      process.stderr.write('warm-up drain (S, not measured)… ');
      const warmUp = await runDrain(server.adminUrl, 'S', 0, { cluster, serviceEnv: options.serviceEnv });
      process.stderr.write(`${warmUp.emailsPerSecond} emails/s\n`);
    }
    let result: Record<string, unknown>;
    let markdown: string;
    if (scenario === 'drain') {
      const runs: DrainRun[] = [];
      for (let index = 1; index <= runCount; index++)
        runs.push(await run(`drain ${size}, run ${index} of ${runCount}`));
      const summary = summarizeDrains(runs);
      const drain = {
        ...common,
        dataset: {
          ...sizes[size],
          capacity: options.capacity,
          generationMs: median(runs.map((one) => one.generationMs)),
        },
        // The median figures, kept at the top level where earlier results had their single run.
        drain: {
          emails: summary.sendable,
          drainSeconds: summary.drainSeconds,
          emailsPerSecond: summary.emailsPerSecond,
          firstToLastArrivalSeconds: summary.firstToLastArrivalSeconds,
        },
        correctness: summary.correctness,
        processes: summary.processes,
        median: summary,
        runs,
      };
      result = drain;
      markdown = renderDrainSummary(drain);
    } else if (scenario === 'compare') {
      const outflow: DrainRun[] = [];
      const references: Record<ReferenceKind, ReferenceRun[]> = { 'bare-nodemailer': [], 'job-queue': [] };
      const contenders = ['outflow', 'bare-nodemailer', 'job-queue'] as const;
      for (let index = 1; index <= runCount; index++) {
        // Each run starts with another contender, so a machine that slows down over the sitting slows all three.
        const order = contenders.map((_, offset) => contenders[(index - 1 + offset) % contenders.length]!);
        for (const contender of order) {
          if (contender === 'outflow') {
            outflow.push(await run(`Outflow ${size}, run ${index} of ${runCount}`));
            continue;
          }
          process.stderr.write(`${contender} ${size}, run ${index} of ${runCount}… `);
          runNumber += 1;
          const postgresPid = server.pid();
          const reference = await runReference(contender, server.adminUrl, size, runNumber, {
            ...(postgresPid ? { postgresPid } : {}),
          });
          references[contender].push(reference);
          process.stderr.write(
            `${reference.emailsPerSecond} emails/s, ${reference.cpuMsPerEmail.toFixed(2)} ms CPU/email\n`,
          );
        }
      }
      const comparison = compare(outflow, references);
      const compared = {
        ...common,
        dataset: sizes[size],
        referenceSettings,
        comparison,
        runs: { outflow, ...references },
      };
      result = compared;
      markdown = renderComparison({
        size,
        broker: common.broker,
        due: sizes[size].due,
        machine: common.machine,
        settings: common.settings,
        comparison,
      });
    } else if (scenario === 'tracing') {
      // Spans go to a receiver that only counts them: what tracing costs the services, not what storing it costs.
      const receiver = await startOtlpReceiver({ keep: false });
      try {
        const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
        const variants: TracingVariantRuns[] = [
          { variant: { name: 'off', env: {} }, runs: [], exported: { requests: 0, bytes: 0 } },
          {
            variant: {
              name: '1 %',
              env: { ...endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' },
            },
            runs: [],
            exported: { requests: 0, bytes: 0 },
          },
          { variant: { name: '100 %', env: endpoint }, runs: [], exported: { requests: 0, bytes: 0 } },
        ];
        for (let index = 1; index <= runCount; index++) {
          // Each round starts with another variant, so a machine that slows down over the sitting slows all three.
          for (let offset = 0; offset < variants.length; offset++) {
            const entry = variants[(index - 1 + offset) % variants.length]!;
            const before = receiver.received();
            entry.runs.push(
              await run(`tracing ${entry.variant.name}, run ${index} of ${runCount}`, undefined, entry.variant.env),
            );
            // Every service flushed its spans at shutdown, before the run ended.
            const after = receiver.received();
            entry.exported.requests += after.requests - before.requests;
            entry.exported.bytes += after.bytes - before.bytes;
          }
        }
        const summary = summarizeTracing(variants);
        result = { ...common, dataset: sizes[size], variants: summary, runs: variants };
        markdown = renderTracingSummary({
          size,
          due: sizes[size].due,
          broker: common.broker,
          machine: common.machine,
          settings: common.settings,
          variants: summary,
        });
      } finally {
        await receiver.close();
      }
    } else if (scenario === 'soak') {
      const loadPercent = option(args, '--loads') ? options.loads[0]! : 50;
      const drainRate = options.drainRate
        ? { emailsPerSecond: options.drainRate, measured: false }
        : { emailsPerSecond: (await run(`drain ${size} to find the rate`)).emailsPerSecond, measured: true };
      const ratePerSecond = Math.max(1, Math.round((drainRate.emailsPerSecond * loadPercent) / 100));
      const due = Math.round(ratePerSecond * options.minutes * 60);
      process.stderr.write(`soak: ${due} emails at ${ratePerSecond}/s for ${options.minutes} min… `);
      runNumber += 1;
      const postgresPid = server.pid();
      const soakRun = await runDrain(server.adminUrl, size, runNumber, {
        cluster,
        ratePerSecond,
        due,
        timelineEveryMs: Math.max(10_000, Math.round((options.minutes * 60_000) / 30)),
        serviceEnv: options.serviceEnv,
        ...(postgresPid ? { postgresPid } : {}),
      });
      process.stderr.write('done\n');
      const soak = { ...common, minutes: options.minutes, loadPercent, ratePerSecond, drainRate, run: soakRun };
      result = { ...soak, figures: timelineFigures(soakRun.timeline ?? []) };
      markdown = renderSoakSummary(soak);
    } else if (scenario === 'tick') {
      const bySize: { size: Size; median: TickRun; runs: TickRun[] }[] = [];
      for (const tickSize of options.tickSizes) {
        process.stderr.write(`tick at ${tickSize}: generating… `);
        const runs = await runTicks(server.adminUrl, tickSize, runCount, cluster, (tick, round) =>
          process.stderr.write(
            `${round === 1 ? `(${tick.generationMs} ms) ` : ''}round ${round}: ${tick.tickMs} ms per tick; `,
          ),
        );
        process.stderr.write('\n');
        bySize.push({ size: tickSize, median: medianTick(runs), runs });
      }
      const ticks = { ...common, settings: tickSettings, sizes: bySize };
      result = ticks;
      markdown = renderTickSummary(ticks);
    } else if (scenario === 'queue-stats') {
      const runs: QueueStatsRun[] = [];
      for (const statsSize of options.tickSizes) {
        process.stderr.write(`queue gauges at ${statsSize}: generating and refreshing ${runCount * 10} times… `);
        runs.push(await runQueueStats(server.adminUrl, statsSize, runCount * 10, cluster));
        process.stderr.write(`${runs.at(-1)!.refreshMs} ms per refresh\n`);
      }
      const queueStats = { ...common, settings: queueStatsSettings, runs };
      result = queueStats;
      markdown = renderQueueStatsSummary(queueStats);
    } else {
      const drainRate = options.drainRate
        ? { emailsPerSecond: options.drainRate, measured: false }
        : { emailsPerSecond: (await run(`drain ${size} to find the rate`)).emailsPerSecond, measured: true };
      const levels: SteadyLevel[] = [];
      for (const loadPercent of options.loads) {
        const ratePerSecond = Math.max(1, Math.round((drainRate.emailsPerSecond * loadPercent) / 100));
        const runs: DrainRun[] = [];
        for (let index = 1; index <= runCount; index++) {
          runs.push(
            await run(
              `steady ${size} at ${loadPercent}% (${ratePerSecond}/s), run ${index} of ${runCount}`,
              ratePerSecond,
            ),
          );
        }
        levels.push({ loadPercent, ratePerSecond, median: summarizeDrains(runs), runs });
      }
      const steady = { ...common, dataset: sizes[size], drainRate, levels };
      result = steady;
      markdown = renderSteadySummary(steady);
    }
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, `${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(join(directory, `${stamp}.md`), markdown);
    process.stdout.write(`${markdown}\nwrote bench/results/runs/${stamp}.json and .md\n`);
  } finally {
    await cluster.stop();
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
