import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fetchJarsWithMaven } from './maven-fetch.js';
import { waitForServer } from './wait-for-server.js';

/** Zipkin's server (in-memory storage), the local stack's trace backend. */
export interface ZipkinServer {
  /** Its UI and API, e.g. http://127.0.0.1:9411 (`/zipkin/traces/<trace id>` shows one trace). */
  url: string;
  /** For the services' OTEL_EXPORTER_ZIPKIN_ENDPOINT. */
  spansUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/** The server's jar: OUTFLOW_ZIPKIN_JAR when set, else the cached Maven fetch of tools/zipkin/pom.xml (~130 MB). */
function zipkinJar(): string {
  return (
    process.env['OUTFLOW_ZIPKIN_JAR'] ||
    join(
      fetchJarsWithMaven({ folder: 'zipkin', name: 'zipkin', versionProperty: 'zipkin.version' }),
      'zipkin-server.jar',
    )
  );
}

/**
 * Starts Zipkin on 127.0.0.1:`port` (a real port: Zipkin cannot tell us one it picked) with in-memory storage and a
 * small heap; resolves once its health check answers UP.
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
  await waitForServer({
    name: 'Zipkin',
    child,
    ready: async () => {
      const response = await fetch(`${url}/health`);
      return response.ok && ((await response.json()) as { status?: string }).status === 'UP';
    },
    stop,
    log: () => log,
    timeoutMs: options.timeoutMs ?? 120_000,
    everyMs: 250,
  });
  return { url, spansUrl: `${url}/api/v2/spans`, pid: child.pid!, stop };
}
