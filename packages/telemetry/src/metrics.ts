import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type { Counter, Histogram };

/**
 * A service's Prometheus metrics: one registry per process, served on its health port at GET /metrics. Every
 * series carries the `service` label; Node's own runtime metrics (CPU, memory, event loop lag, GC) come with it.
 * Metric names start with `outflow_`; labels have a small fixed set of values (never an id or an address).
 */
export interface Metrics {
  registry: Registry;
  /**
   * With `labelValues`, every combination of them is exported at 0 from the start, so rates and alerts see a series
   * before its first event.
   */
  counter<L extends string = never>(
    options: MetricOptions<L> & { labelValues?: { readonly [K in L]: readonly string[] } },
  ): Counter<L>;
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
    counter: ({ labelValues, ...options }) => {
      const counter = new Counter({ ...options, labelNames: options.labelNames ?? [], registers: [registry] });
      // The combinations hold exactly the labels `labelValues` names, which are the counter's own.
      for (const labels of combinations(labelValues ?? {})) counter.inc(labels as Partial<Record<string, string>>, 0);
      return counter;
    },
    gauge: (options) => new Gauge({ ...options, labelNames: options.labelNames ?? [], registers: [registry] }),
    histogram: (options) => new Histogram({ ...options, labelNames: options.labelNames ?? [], registers: [registry] }),
  };
}

/** Every combination of the values, one per label: {a: [1, 2], b: [3]} gives {a: 1, b: 3} and {a: 2, b: 3}. */
function combinations(values: Readonly<Record<string, readonly string[]>>): Record<string, string>[] {
  return Object.entries(values).reduce<Record<string, string>[]>(
    (partial, [label, options]) => partial.flatMap((labels) => options.map((value) => ({ ...labels, [label]: value }))),
    Object.keys(values).length === 0 ? [] : [{}],
  );
}
