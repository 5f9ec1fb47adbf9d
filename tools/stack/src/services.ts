import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { findFreePort } from './free-port.js';
import { findRepoRoot } from './repo-root.js';
import { spawnProcess, spawnTypeScript, type RunningProcess } from './testing/child-process.js';

export const serviceNames = [
  'sequence-api',
  'cron-producer',
  'smtp-sender',
  'followup-scheduler',
  'retry-consumer',
  'inbox-reader',
] as const;
export type ServiceName = (typeof serviceNames)[number];

/** The database role each service runs as, as in production: each with only the grants it needs. */
export const serviceDatabaseRoles: Record<ServiceName, string> = {
  'sequence-api': 'outflow_api',
  'cron-producer': 'outflow_producer',
  'smtp-sender': 'outflow_sender',
  'followup-scheduler': 'outflow_scheduler',
  'retry-consumer': 'outflow_retry',
  'inbox-reader': 'outflow_reader',
};

/**
 * NODE_OPTIONS of the production image (see the Dockerfile, which must say the same): services run `fromBuild`
 * get it too, so their memory figures are the container's. The young generation's semi-spaces are capped at 8 MB
 * (V8's default is 16): measured in M drains, every service's peak RSS fell by 7-16 MB for about two points more
 * of the sender's CPU in the garbage collector.
 */
export const containerNodeOptions = '--max-old-space-size=128 --max-semi-space-size=8';

export interface PipelineOptions {
  databaseUrl: string;
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  /** Extra variables for every service (e.g. OUTFLOW_DAY_SECONDS, PRODUCER_TICK_MS). */
  env?: Record<string, string>;
  services?: readonly ServiceName[];
  /** Options for node itself (e.g. `--cpu-prof`, which NODE_OPTIONS does not accept). */
  nodeArgs?: string[];
  /**
   * Run the compiled services (`services/<name>/dist/src/main.js`, as the container does, with its
   * NODE_OPTIONS unless `env` sets them) instead of the sources through tsx: no loader in the process, so CPU
   * and memory figures are production's. The caller builds first (see buildWorkspace).
   */
  fromBuild?: boolean;
  /**
   * Run the services from an assembled production tree (assembleRuntime) with the image's node executable, as
   * the container does: its working directory, entry points, NODE_ENV and NODE_OPTIONS.
   */
  runtime?: { root: string; node: string };
}

export interface Pipeline {
  /** The API's base URL (routes are under /api/v1). */
  apiUrl: string;
  secretKeys: string;
  processes: Map<ServiceName, RunningProcess>;
  /** Starts one more replica of a service (stopped with the rest); resolves once it has started. */
  addReplica(name: ServiceName, extraEnv?: Record<string, string>): Promise<RunningProcess>;
  /** Starts a service again (after it was killed), with the same environment; resolves once it has started. */
  restart(name: ServiceName, extraEnv?: Record<string, string>): Promise<RunningProcess>;
  /** SIGTERM to every service; resolves with their exit codes. */
  stop(): Promise<Record<string, number | string>>;
}

/** Compiles the workspace (`tsc -b`, incremental: quick when nothing changed), for a pipeline run `fromBuild`. */
export function buildWorkspace(): void {
  const root = findRepoRoot();
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`tsc -b failed (exit ${String(result.status)}):\n${result.stdout}${result.stderr}`);
  }
}

/** A new OUTFLOW_SECRET_KEYS value of one key: `<keyId>:<32 random bytes, base64>`. */
export function newSecretKeys(keyId: string): string {
  return `${keyId}:${randomBytes(32).toString('base64')}`;
}

/**
 * The real services as separate processes (the same entry points as production, run from source), wired to
 * one stack. Resolves once each has logged "started" (the API also its port).
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const root = findRepoRoot();
  const secretKeys = options.env?.['OUTFLOW_SECRET_KEYS'] ?? newSecretKeys('test');
  // Chosen before the services start: the sender writes the API's address into every unsubscribe link.
  const given = options.env?.['API_PORT'];
  const apiPort = given && given !== '0' ? given : String(await findFreePort());
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    DATABASE_URL: options.databaseUrl,
    KAFKA_BROKERS: options.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: options.schemaRegistryUrl,
    HEALTH_PORT: '0',
    API_PORT: apiPort,
    OUTFLOW_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
    OUTFLOW_SECRET_KEYS: secretKeys,
    SHUTDOWN_GRACE_MS: '15000',
    // The stack's SMTP sinks are local test servers without TLS: mailboxes may opt out of TLS for AUTH.
    OUTFLOW_MODE: 'development',
    ...options.env,
    // The harness learns ports and readiness from the services' info lines.
    LOG_LEVEL: 'info',
  };
  const processes = new Map<ServiceName, RunningProcess>();
  const replicas: RunningProcess[] = [];
  const launch = (name: ServiceName, extraEnv: Record<string, string> = {}): RunningProcess => {
    const serviceEnv = { DATABASE_ROLE: serviceDatabaseRoles[name], ...env, ...extraEnv };
    if (options.runtime) {
      return spawnProcess(
        options.runtime.node,
        [...(options.nodeArgs ?? []), join('services', name, 'dist', 'src', 'main.js')],
        {
          env: { NODE_ENV: 'production', NODE_OPTIONS: containerNodeOptions, ...serviceEnv },
          cwd: options.runtime.root,
        },
      );
    }
    return options.fromBuild
      ? spawnProcess(
          process.execPath,
          [...(options.nodeArgs ?? []), join(root, 'services', name, 'dist', 'src', 'main.js')],
          { env: { NODE_OPTIONS: containerNodeOptions, ...serviceEnv }, cwd: root },
        )
      : spawnTypeScript(join(root, 'services', name, 'src', 'main.ts'), {
          env: serviceEnv,
          cwd: root,
          ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
        });
  };
  const spawnService = (name: ServiceName, extraEnv: Record<string, string> = {}): RunningProcess => {
    const process = launch(name, extraEnv);
    processes.set(name, process);
    return process;
  };
  for (const name of options.services ?? serviceNames) spawnService(name);
  const stop = async (): Promise<Record<string, number | string>> => {
    for (const process of [...processes.values(), ...replicas]) {
      if (process.child.exitCode === null && process.child.signalCode === null) process.kill('SIGTERM');
    }
    const codes: Record<string, number | string> = {};
    for (const [name, process] of processes) codes[name] = await process.waitForExit(30_000);
    for (const [index, process] of replicas.entries())
      codes[`replica-${index + 1}`] = await process.waitForExit(30_000);
    return codes;
  };
  try {
    let apiUrl = '';
    await Promise.all(
      [...processes].map(async ([name, process]) => {
        if (name === 'sequence-api') {
          const [, port] = await process.waitForOutput(/"apiPort":(\d+)/, 60_000);
          apiUrl = `http://127.0.0.1:${port}`;
        }
        await process.waitForOutput(/"msg":"started"/, 60_000);
      }),
    );
    const restart = async (name: ServiceName, extraEnv?: Record<string, string>): Promise<RunningProcess> => {
      const process = spawnService(name, extraEnv);
      await process.waitForOutput(/"msg":"started"/, 60_000);
      return process;
    };
    const addReplica = async (name: ServiceName, extraEnv?: Record<string, string>): Promise<RunningProcess> => {
      const process = launch(name, extraEnv);
      replicas.push(process);
      await process.waitForOutput(/"msg":"started"/, 60_000);
      return process;
    };
    return { apiUrl, secretKeys, processes, addReplica, restart, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
