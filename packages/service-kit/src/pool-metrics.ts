import type { PoolCounts, PoolMonitor } from '@outflow/db';
import type { Metrics } from '@outflow/telemetry';

/**
 * The database pool on the service's metrics: connections in use and idle, checkouts waiting for one, and how long
 * each checkout waited. Waits mean the pool (DATABASE_POOL_SIZE) or the server's connections are the bottleneck.
 */
export function poolMetrics(metrics: Metrics): PoolMonitor {
  let read: (() => PoolCounts) | undefined;
  const waited = metrics.histogram({
    name: 'outflow_db_pool_wait_seconds',
    help: 'How long each checkout of a database connection waited for one (about 0 while one is idle).',
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10],
  });
  metrics.gauge({
    name: 'outflow_db_pool_connections',
    help: 'Database connections of the pool, `in_use` or `idle`; `max` is the pool size.',
    labelNames: ['state'],
    collect() {
      if (!read) return;
      const counts = read();
      this.set({ state: 'in_use' }, counts.total - counts.idle);
      this.set({ state: 'idle' }, counts.idle);
      this.set({ state: 'max' }, counts.max);
    },
  });
  metrics.gauge({
    name: 'outflow_db_pool_waiting_requests',
    help: 'Checkouts waiting for a database connection right now.',
    collect() {
      if (read) this.set(read().waiting);
    },
  });
  return {
    checkedOut: (seconds) => waited.observe(seconds),
    counts: (reader) => {
      read = reader;
    },
  };
}
