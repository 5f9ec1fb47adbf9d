import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stopper } from './run-service.js';
import { withTimeout } from './with-timeout.js';

export interface HealthCheck {
  name: string;
  /** Resolves when healthy; throws (or times out) when not. */
  check: () => Promise<void>;
}

export interface HealthServer extends Stopper {
  port: number;
}

export interface StartHealthServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Loopback by default; containers set 0.0.0.0 so the kubelet can probe. */
  host?: string;
  /** Readiness checks run on GET /readyz. Default none. */
  checks?: HealthCheck[];
  /** Per-check timeout. Default 2 000 ms. */
  checkTimeoutMs?: number;
  /** Told why a check failed: the reason goes to the service's log, never to whoever asked. */
  onCheckFailed?: (name: string, error: unknown) => void;
  /** Served on GET /metrics in Prometheus' text format (a prom-client Registry fits). Default: no /metrics. */
  metrics?: { contentType: string; metrics(): Promise<string> };
}

/**
 * GET /healthz: the process is alive (liveness). GET /readyz: every check passes (readiness), answered with
 * each check's name and whether it passed, so an operator sees which dependency is down. Why it failed (an
 * error that may name hosts, users or addresses) goes to `onCheckFailed`, not to the unauthenticated caller.
 * GET /metrics: the service's metrics, for Prometheus.
 */
export async function startHealthServer(options: StartHealthServerOptions): Promise<HealthServer> {
  let closing = false;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return reply(405, { error: 'method not allowed' });
    if (path === '/healthz') return reply(closing ? 503 : 200, { status: closing ? 'stopping' : 'ok' });
    if (path === '/readyz') {
      void Promise.all(
        (options.checks ?? []).map(async (check) => {
          try {
            await withTimeout(check.check(), options.checkTimeoutMs ?? 2_000, check.name);
            return { name: check.name, ok: true };
          } catch (error) {
            options.onCheckFailed?.(check.name, error);
            return { name: check.name, ok: false };
          }
        }),
      ).then((results) => {
        const ready = !closing && results.every((result) => result.ok);
        reply(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks: results });
      });
      return;
    }
    if (path === '/metrics' && options.metrics) {
      const { contentType } = options.metrics;
      options.metrics.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(text);
        },
        (error: unknown) => {
          options.onCheckFailed?.('metrics', error);
          reply(500, { error: 'metrics unavailable' });
        },
      );
      return;
    }
    reply(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    name: 'health-server',
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
