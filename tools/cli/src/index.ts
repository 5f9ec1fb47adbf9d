export { runApiKeyCommand } from './api-key.command.js';
export { CliError, type Output } from './cli-error.js';
export { runUncertainCommand } from './uncertain.command.js';
