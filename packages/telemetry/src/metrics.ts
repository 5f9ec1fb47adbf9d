import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type { Counter, Histogram };

/**
 * A service's Prometheus metrics: one registry per process, served on its health port at GET /metrics. Every
 * series carries the `service` label; Node's own runtime metrics (CPU, memory, event loop lag, GC) come with it.
 * Metric names start with `outflow_`; labels have a small fixed set of values (never an id or an address).
 */
export interface Metrics {
  registry: Registry;
  counter<L extends string = never>(options: MetricOptions<L>): Counter<L>;
  gauge<L extends string = never>(
    options: MetricOptions<L> & { collect?: (this: Gauge<L>) => Promise<void> | void },
  ): Gauge<L>;
  histogram<L extends string = never>(options: MetricOptions<L> & { buckets: number[] }): Histogram<L>;
}

interface MetricOptions<L extends string> {
  name: `outflow_${string}`;
  help: string;
  labelNames?: readonly L[];
}

export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    counter: (options) => new Counter({ ...options, labelNames: options.labelNames ?? [], registers: [registry] }),
    gauge: (options) => new Gauge({ ...options, labelNames: options.labelNames ?? [], registers: [registry] }),
    histogram: (options) => new Histogram({ ...options, labelNames: options.labelNames ?? [], registers: [registry] }),
  };
}
