import { describe, expect, it } from '@jest/globals';
import { createMetrics } from './metrics.js';

describe('createMetrics', () => {
  it('exports every combination of a counter’s label values at 0 from the start, with the service label', async () => {
    const metrics = createMetrics('retry-consumer');
    const decisions = metrics.counter<'outcome' | 'source'>({
      name: 'outflow_test_decisions_total',
      help: 'test',
      labelNames: ['outcome', 'source'],
      labelValues: { outcome: ['rescheduled', 'ignored'], source: ['event', 'reconciled'] },
    });
    decisions.inc({ outcome: 'ignored', source: 'event' });
    const lines = (await metrics.registry.metrics())
      .split('\n')
      .filter((line) => line.startsWith('outflow_test_decisions_total'));
    expect(lines.sort()).toEqual([
      'outflow_test_decisions_total{outcome="ignored",source="event",service="retry-consumer"} 1',
      'outflow_test_decisions_total{outcome="ignored",source="reconciled",service="retry-consumer"} 0',
      'outflow_test_decisions_total{outcome="rescheduled",source="event",service="retry-consumer"} 0',
      'outflow_test_decisions_total{outcome="rescheduled",source="reconciled",service="retry-consumer"} 0',
    ]);
  });

  it('exports a labelled counter without label values only once it counts something', async () => {
    const metrics = createMetrics('smtp-sender');
    metrics.counter<'class'>({ name: 'outflow_test_failures_total', help: 'test', labelNames: ['class'] });
    expect(await metrics.registry.metrics()).not.toMatch(/^outflow_test_failures_total\{/m);
  });
});
