import { expect } from '@jest/globals';
import { createTestDatabase } from '@outflow/db/testing';
import { runScenario, type ScenarioResult } from '../src/index.js';

const quickOptions = { createDatabase: () => createTestDatabase(), size: 'quick' as const };

/**
 * Runs a scenario at the quick size and checks the guarantee: no duplicate beyond uncertain, none lost, no
 * capacity overrun, everything terminal or uncertain, and the scenario's own expectations (mismatches).
 */
export async function expectGuaranteeHeld(name: string): Promise<ScenarioResult> {
  const result = await runScenario(name, quickOptions);
  expect(result.ran).toBe(true);
  expect(result.measurement).toMatchObject({ duplicates: 0, lost: 0, overrunDays: [], pending: 0 });
  expect(result.details?.['mismatches'] ?? []).toEqual([]);
  expect(result.passed).toBe(true);
  return result;
}

/** Scenarios start five service processes each: minutes, not seconds. */
export const scenarioTimeoutMs = 240_000;
