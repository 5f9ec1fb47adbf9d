import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { findRepoRoot, pinnedKafkaVersion, spawnTypeScript } from '@outflow/stack';

const entry = fileURLToPath(new URL('../src/run-bench.ts', import.meta.url));

/** The CI smoke run of the benchmark harness: it works end to end; no timing is asserted. */
describe('pnpm bench (smoke)', () => {
  it('drains the S dataset with no duplicate and no loss, and writes its results file', async () => {
    const bench = spawnTypeScript(entry, {
      args: ['--size', 'S', '--scenario', 'drain', '--runs', '1'],
      env: { PATH: process.env['PATH'] },
      cwd: findRepoRoot(),
    });
    expect(await bench.waitForExit(600_000)).toBe(0);
    const [, file] = /wrote (bench\/results\/\S+\.json)/.exec(bench.output()) ?? [];
    expect(file).toBeDefined();
    const result = JSON.parse(readFileSync(`${findRepoRoot()}/${file}`, 'utf8')) as {
      broker: string;
      drain: { emails: number; emailsPerSecond: number };
      correctness: { duplicatesAtSink: number; lost: number; sentInDatabase: number; overCapacity: number };
    };
    expect(result.broker).toContain(`Apache Kafka ${pinnedKafkaVersion()}`);
    expect(result.drain.emails).toBe(10_000);
    expect(result.correctness).toEqual({ duplicatesAtSink: 0, lost: 0, sentInDatabase: 10_000, overCapacity: 0 });
    // The markdown summary beside it names the broker and the median figure.
    const summary = readFileSync(`${findRepoRoot()}/${file!.replace(/\.json$/, '.md')}`, 'utf8');
    expect(summary).toContain(`Apache Kafka ${pinnedKafkaVersion()}`);
    expect(summary).toContain(`| emails/s end to end | ${result.drain.emailsPerSecond} |`);
    // The log written is read from the server's own statistics: sends write to it, so it cannot be 0.
    expect(summary).toMatch(/Write-ahead log \(last run\): [1-9]\d* bytes, [\d.]+ records/);
  }, 660_000);
});
