export { runScenario, type ScenarioResult } from './run-scenario.js';
