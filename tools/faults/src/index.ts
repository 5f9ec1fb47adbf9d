export { runScenario, type ScenarioResult } from './scenarios.js';
