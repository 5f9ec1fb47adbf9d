import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findRepoRoot } from './repo-root.js';

/** Zipkin's server (in-memory storage), the local stack's trace backend. */
export interface ZipkinServer {
  /** Its UI and API, e.g. http://127.0.0.1:9411 (`/zipkin/traces/<trace id>` shows one trace). */
  url: string;
  /** For the services' OTEL_EXPORTER_ZIPKIN_ENDPOINT. */
  spansUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The server's jar: OUTFLOW_ZIPKIN_JAR when set, else the cached Maven fetch of tools/zipkin/pom.xml (fetched now
 * if missing: ~130 MB, once per checkout).
 */
function zipkinJar(): string {
  const configured = process.env['OUTFLOW_ZIPKIN_JAR'];
  if (configured) return configured;
  const root = findRepoRoot();
  const result = spawnSync(
    'bash',
    [join(root, 'tools', 'fetch-with-maven.sh'), join(root, 'tools', 'zipkin'), 'zipkin', 'zipkin.version'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const libs = result.stdout.trim().split('\n').pop();
  if (result.status !== 0 || !libs) throw new Error(`fetching Zipkin failed (exit ${String(result.status)})`);
  return join(libs, 'zipkin-server.jar');
}

/**
 * Starts Zipkin on 127.0.0.1:`port` (0: a free one is not possible, Zipkin picks none itself, so pass a real
 * port) with in-memory storage and a small heap; resolves once its health check answers UP.
 */
export async function startZipkin(options: { port: number; timeoutMs?: number }): Promise<ZipkinServer> {
  const jar = zipkinJar();
  const child = spawn('java', ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-jar', jar], {
    env: {
      PATH: process.env['PATH'],
      JAVA_HOME: process.env['JAVA_HOME'],
      QUERY_PORT: String(options.port),
      // Armeria binds every interface unless told: the stack listens on loopback only.
      ARMERIA_PORTS_0_IP: '127.0.0.1',
      ARMERIA_PORTS_0_PORT: String(options.port),
      STORAGE_TYPE: 'mem',
      // At most this many spans are kept; the oldest traces go first.
      MEM_MAX_SPANS: '200000',
      JAVA_OPTS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Zipkin exited with ${child.exitCode}: ${log}`);
    const up = await fetch(`${url}/health`).then(
      async (response) => response.ok && ((await response.json()) as { status?: string }).status === 'UP',
      () => false,
    );
    if (up) return { url, spansUrl: `${url}/api/v2/spans`, pid: child.pid!, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Zipkin was not up within ${options.timeoutMs ?? 120_000} ms: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
