import { pinnedKafkaVersion } from '@outflow/stack';
import type { ScenarioResult } from './scenarios.js';

/** The markdown summary: per scenario, what was measured, or why it did not run. */
export function renderReport(size: string, results: readonly ScenarioResult[]): string {
  const rows = results.map((result) => {
    const m = result.measurement;
    const verdict = result.ran ? (result.passed ? 'passed' : '**FAILED**') : `not run: ${result.reason}`;
    return m
      ? `| ${result.name} | ${verdict} | ${m.emails} | ${m.sinkSends} | ${m.duplicates} | ${m.lost} | ${m.uncertain} | ${m.overruns} | ${result.recoverMs ?? '-'} |`
      : `| ${result.name} | ${verdict} | - | - | - | - | - | - | - |`;
  });
  return [
    `# Fault-injection report (${size}, ${new Date().toISOString()})`,
    '',
    `Broker: Apache Kafka ${pinnedKafkaVersion()} in KRaft mode, one combined broker/controller node on this machine.`,
    'Every scenario runs the five services as processes on a fresh Kafka node, schema registry, SMTP sink and',
    'database. Pass = 0 duplicates at the sink beyond emails flagged',
    'uncertain, 0 lost, 0 capacity overruns, every email terminal or uncertain.',
    '',
    '| scenario | result | emails | sends at sink | duplicates | lost | uncertain | overruns | recover ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...results.map(
      (result) =>
        `- **${result.name}**: ${result.description}${result.details ? ` — ${JSON.stringify(result.details)}` : ''}`,
    ),
    '',
  ].join('\n');
}
