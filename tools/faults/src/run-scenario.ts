import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@outflow/telemetry';
import { startScenarioPostgres } from './scenario-postgres.js';
import { pinnedKafkaVersion } from '@outflow/stack';
import { startFaultEnvironment, type FaultEnvironment } from './fault-environment.js';
import { holds, type Measurement } from './invariants.js';
import { settle, type ScenarioOptions } from './scenario-kit.js';
import { scenarios } from './scenarios/index.js';

export interface ScenarioResult {
  name: string;
  description: string;
  ran: boolean;
  /** Why a scenario did not run here, or why it failed when it threw. */
  reason?: string;
  passed: boolean;
  /** The Kafka it ran on: version and topology. */
  broker?: string;
  measurement?: Measurement;
  /** From the last fault to a settled state. */
  recoverMs?: number;
  details?: Record<string, unknown>;
}

export const scenarioNames = scenarios.map((scenario) => scenario.name);

async function saveServiceLogs(environment: FaultEnvironment, directory: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  for (const [name, process] of environment.pipeline.processes) {
    await writeFile(join(directory, `${name}.log`), process.output());
  }
}

function brokerTopology(nodes: 1 | 3): string {
  const version = `Apache Kafka ${pinnedKafkaVersion()} (KRaft)`;
  return nodes === 1
    ? `${version}, one combined broker/controller`
    : `${version}, 3 combined nodes, replication 3, min.insync.replicas 2`;
}

export async function runScenario(name: string, options: ScenarioOptions): Promise<ScenarioResult> {
  const scenario = scenarios.find((candidate) => candidate.name === name);
  if (!scenario) throw new Error(`unknown scenario ${name}; known: ${scenarioNames.join(', ')}`);
  if (!scenario.run)
    return { name, description: scenario.description, ran: false, reason: scenario.notRunnable!, passed: false };
  const ownPostgres = scenario.ownPostgres
    ? await startScenarioPostgres({
        logger: createLogger({ service: 'faults-postgres', level: 'warn' }),
        embeddedOnly: true,
        maxConnections: scenario.ownPostgres.maxConnections,
      })
    : undefined;
  const environment = await startFaultEnvironment(ownPostgres?.createDatabase ?? options.createDatabase, {
    ...(scenario.env ? { env: scenario.env } : {}),
    ...(ownPostgres ? { postgres: ownPostgres.server } : {}),
    brokerNodes: scenario.brokerNodes ?? 1,
  }).catch(async (error: unknown) => {
    await ownPostgres?.stop();
    throw error;
  });
  try {
    const { sequenceIds, lastFaultAt, details } = await scenario.run(environment, options).catch(async (error) => {
      if (options.logDirectory) await saveServiceLogs(environment, join(options.logDirectory, name));
      throw error;
    });
    const measurement = await settle(environment, sequenceIds, options.settleTimeoutMs ?? 120_000);
    const mismatches = (details?.['mismatches'] as unknown[] | undefined) ?? [];
    const passed = holds(measurement) && mismatches.length === 0;
    if (!passed && options.logDirectory) await saveServiceLogs(environment, join(options.logDirectory, name));
    return {
      name,
      description: scenario.description,
      ran: true,
      broker: brokerTopology(scenario.brokerNodes ?? 1),
      passed,
      measurement,
      recoverMs: Math.max(0, Date.now() - lastFaultAt),
      ...(details ? { details } : {}),
    };
  } finally {
    await environment.close();
    await ownPostgres?.stop();
  }
}
