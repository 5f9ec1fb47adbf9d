export { holds, measure, type Measurement } from './invariants.js';
export { renderReport } from './report.js';
export { runScenario, scenarioNames, type ScenarioOptions, type ScenarioResult } from './scenarios.js';
