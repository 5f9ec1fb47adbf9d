import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from './free-port.js';
import { findRepoRoot } from './repo-root.js';
import { waitForServer } from './wait-for-server.js';

/** A Prometheus server of the machine's (Debian's `prometheus` package), scraping given targets. */
export interface PrometheusServer {
  /** Base URL of its HTTP API, e.g. http://127.0.0.1:41234 (query with /api/v1/query). */
  url: string;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** host:port of each /metrics endpoint, scraped as job "outflow". */
  targets: string[];
  /** Default 1 000 ms: tests want samples soon. */
  scrapeIntervalMs?: number;
}

/** The repository's alert rules, which the server loads as production would. */
export const alertRulesPath = (): string => join(findRepoRoot(), 'infra', 'prometheus', 'alerts.yml');

function prometheusBinary(): string {
  const binary = process.env['OUTFLOW_PROMETHEUS_BIN'] ?? 'prometheus';
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `no Prometheus server (${binary}): install it (Debian: apt-get install prometheus) or set OUTFLOW_PROMETHEUS_BIN`,
    );
  }
  return binary;
}

/** Starts Prometheus on a free loopback port with its data in a temporary folder; resolves once it is ready. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  const dir = await mkdtemp(join(tmpdir(), 'outflow-prometheus-'));
  const interval = `${options.scrapeIntervalMs ?? 1_000}ms`;
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'rule_files:',
    `  - ${JSON.stringify(alertRulesPath())}`,
    'scrape_configs:',
    '  - job_name: outflow',
    '    static_configs:',
    `      - targets: ${JSON.stringify(options.targets)}`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  const port = await findFreePort();
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  await waitForServer({
    name: 'Prometheus',
    child,
    ready: async () => (await fetch(`${url}/-/ready`)).ok,
    stop,
    log: () => log,
    timeoutMs: 30_000,
    everyMs: 100,
  });
  return { url, stop };
}
