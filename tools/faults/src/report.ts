import { pinnedKafkaVersion } from '@outflow/stack';
import type { ScenarioResult } from './run-scenario.js';

/** The markdown summary: per scenario, what was measured, or why it did not run. */
export function renderReport(size: string, results: readonly ScenarioResult[]): string {
  const rows = results.map((result) => {
    const m = result.measurement;
    const failed = `**FAILED**${result.reason ? `: ${result.reason.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
    const verdict = result.ran ? (result.passed ? 'passed' : failed) : `not run: ${result.reason}`;
    return m
      ? `| ${result.name} | ${verdict} | ${result.broker?.includes('3 combined') ? '3 nodes' : '1 node'} | ${m.emails} | ${m.sinkSends} | ${m.duplicates} | ${m.lost} | ${m.uncertain} | ${m.overruns} | ${result.recoverMs ?? '-'} |`
      : `| ${result.name} | ${verdict} | - | - | - | - | - | - | - | - |`;
  });
  return [
    `# Fault-injection report (${size}, ${new Date().toISOString()})`,
    '',
    `Broker: Apache Kafka ${pinnedKafkaVersion()} in KRaft mode on this machine: one combined broker/controller node, or`,
    'where the kafka column says so three combined nodes (replication 3, min.insync.replicas 2). Every scenario',
    'runs the five services as processes on a fresh Kafka cluster, schema registry (the dev registry:',
    'docs/schema-registry.md), SMTP sink and database. Pass = 0 duplicates at the sink beyond emails flagged',
    'uncertain, 0 lost, 0 capacity overruns, every email terminal or uncertain. "recover ms": from the end of the',
    'last fault until every email was settled.',
    '',
    '| scenario | result | kafka | emails | sends at sink | duplicates | lost | uncertain | overruns | recover ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...results.map(
      (result) =>
        `- **${result.name}**: ${result.description}${result.details ? ` — ${JSON.stringify(result.details)}` : ''}`,
    ),
    '',
  ].join('\n');
}
