import { describe, expect, it } from '@jest/globals';
import { startHealthServer } from './health-server.js';

describe('the health server', () => {
  it('says which check failed, and tells only the service why', async () => {
    const reasons: string[] = [];
    const server = await startHealthServer({
      port: 0,
      checks: [
        {
          name: 'postgres',
          check: () => Promise.reject(new Error('password authentication failed for user "outflow" at 10.0.0.5')),
        },
        { name: 'kafka', check: () => Promise.resolve() },
      ],
      onCheckFailed: (name, error) => reasons.push(`${name}: ${(error as Error).message}`),
    });
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      expect(response.status).toBe(503);
      const body = await response.text();
      expect(JSON.parse(body)).toEqual({
        status: 'not ready',
        checks: [
          { name: 'postgres', ok: false },
          { name: 'kafka', ok: true },
        ],
      });
      expect(body).not.toMatch(/password|10\.0\.0\.5|outflow/);
      expect(reasons).toEqual(['postgres: password authentication failed for user "outflow" at 10.0.0.5']);
    } finally {
      await server.stop();
    }
  });

  it('serves the metrics on GET /metrics in the registry content type, and 404 without a registry', async () => {
    const text = '# HELP outflow_emails_sent_total Emails sent.\noutflow_emails_sent_total 3\n';
    const server = await startHealthServer({
      port: 0,
      metrics: { contentType: 'text/plain; version=0.0.4; charset=utf-8', metrics: () => Promise.resolve(text) },
    });
    const bare = await startHealthServer({ port: 0 });
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await response.text()).toBe(text);
      expect((await fetch(`http://127.0.0.1:${bare.port}/metrics`)).status).toBe(404);
    } finally {
      await server.stop();
      await bare.stop();
    }
  });
});
