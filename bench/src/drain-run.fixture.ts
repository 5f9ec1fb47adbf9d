import type { DrainRun } from './run-figures.js';

/**
 * For the summaries' tests: a clean drain of 10 000 emails at `emailsPerSecond`, in which the sender used
 * `senderCpuSeconds` of CPU. Pass `overrides` for anything else (processes, infrastructure, correctness).
 */
export function drainRunFixture(
  emailsPerSecond: number,
  senderCpuSeconds: number,
  overrides: Partial<DrainRun> = {},
): DrainRun {
  return {
    generationMs: 1,
    drainSeconds: 10_000 / emailsPerSecond,
    emailsPerSecond,
    firstToLastArrivalSeconds: 1,
    sendable: 10_000,
    correctness: { duplicatesAtSink: 0, sentInDatabase: 10_000, lost: 0, overCapacity: 0 },
    processes: { 'smtp-sender': { cpuPercent: 50, cpuSeconds: senderCpuSeconds, peakRssMb: 100 } },
    ...overrides,
  };
}
