import { describe, expect, it } from '@jest/globals';

import { compare, renderComparison } from './comparison.js';

import type { ReferenceRun } from './reference-run.js';
import { drainRunFixture } from '../drain-run.fixture.js';
import type { DrainRun } from '../run-figures.js';

const drain = (emailsPerSecond: number, senderCpuSeconds: number): DrainRun =>
  drainRunFixture(emailsPerSecond, senderCpuSeconds, {
    infrastructure: { 'kafka broker': { cpuPercent: 10, cpuSeconds: 2 } },
    brokerJitCpuSeconds: senderCpuSeconds / 10,
  });

const reference = (kind: ReferenceRun['kind'], emailsPerSecond: number, lost = 0): ReferenceRun => ({
  kind,
  sendable: 10_000,
  drainSeconds: 10_000 / emailsPerSecond,
  emailsPerSecond,
  correctness: { duplicatesAtSink: 0, lost },
  cpuSeconds: { [kind]: 5, 'postgres (all backends)': 5 },
  cpuMsPerEmail: 1,
  peakRssMb: 80,
});

describe('Outflow beside its references', () => {
  const comparison = compare([drain(1_000, 8), drain(1_200, 10), drain(900, 12)], {
    'bare-nodemailer': [reference('bare-nodemailer', 2_000), reference('bare-nodemailer', 1_800)],
    'job-queue': [reference('job-queue', 500, 3)],
  });

  it('compares medians and gives Outflow rate over each reference', () => {
    expect(comparison.contenders.map((contender) => contender.emailsPerSecond)).toEqual([1_000, 1_900, 500]);
    expect(comparison.ratios).toEqual({
      'bare nodemailer pools (pre-rendered, no database)': 0.53,
      'graphile-worker, one job per email': 2,
    });
  });

  it('counts CPU per email for every process, the broker included', () => {
    // Sender 10 s (median) and broker 2 s over 10 000 emails.
    expect(comparison.contenders[0]!.cpuMsPerEmailByProcess).toEqual({ 'smtp-sender': 1, 'kafka broker': 0.2 });
    expect(comparison.contenders[0]!.cpuMsPerEmail).toBe(1.2);
    expect(comparison.contenders[2]!.cpuMsPerEmail).toBe(1);
  });

  it("says how much of the broker's CPU its JIT compiler took (median over Outflow's runs)", () => {
    // 0.8, 1 and 1.2 s over 10 000 emails.
    expect(comparison.brokerJitMsPerEmail).toBe(0.1);
    expect(
      renderComparison({ size: 'S', broker: 'Kafka', due: 10_000, machine: {}, settings: {}, comparison }),
    ).toContain("Of the broker's CPU, its JIT compiler threads used 0.1 ms per email");
  });

  it('sums what was lost over the runs and shows it in the summary', () => {
    expect(comparison.contenders[2]!.lost).toBe(3);
    const markdown = renderComparison({
      size: 'S',
      broker: 'Apache Kafka 4.4.0',
      due: 10_000,
      machine: {},
      settings: { KAFKA_FETCH_MIN_BYTES: '65536' },
      comparison,
    });
    expect(markdown).toContain("Outflow's service settings: KAFKA_FETCH_MIN_BYTES=65536.");
    expect(markdown).toContain('| graphile-worker, one job per email | 1 | 500 | 20 | 1 | 0 | 3 |');
    expect(markdown).toContain("Outflow's rate / graphile-worker, one job per email: **2×**");
  });
});
