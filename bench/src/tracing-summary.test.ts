import { describe, expect, it } from '@jest/globals';
import { drainRunFixture as run } from './drain-run.fixture.js';
import { renderTracingSummary, summarizeTracing } from './tracing-summary.js';

describe('the tracing cost summary', () => {
  const variants = summarizeTracing([
    { variant: { name: 'off', env: {} }, runs: [run(500, 10), run(520, 11)], exported: { requests: 0, bytes: 0 } },
    {
      variant: { name: '100 %', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' } },
      runs: [run(400, 15), run(420, 15)],
      exported: { requests: 10, bytes: 2 * 10_000 * 2048 },
    },
  ]);

  it("sets each variant's median rate and services' CPU against tracing off", () => {
    expect(variants.map((variant) => [variant.name, variant.rateVersusOff, variant.servicesCpuVersusOff])).toEqual([
      ['off', 1, 1],
      ['100 %', 0.804, 1.429],
    ]);
    // 2 KB per email over both runs of 10 000 emails.
    expect(variants[1]!.exportedKbPerEmail).toBe(2);
  });

  it('renders one row per variant', () => {
    const markdown = renderTracingSummary({
      size: 'S',
      due: 10_000,
      broker: 'test',
      machine: { cpus: 2 },
      settings: {},
      variants,
    });
    expect(markdown).toContain('| off | 2 | 510 | 1 |');
    expect(markdown).toContain('| 100 % | 2 | 410 | 0.804 |');
  });
});
