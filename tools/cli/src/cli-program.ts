import { Command } from '@commander-js/extra-typings';
import { registerApiKeyCommand } from './api-key.command.js';
import type { CliContext } from './cli-context.js';
import { registerCleanupCommand } from './cleanup.command.js';
import { registerDeadLettersCommand } from './dead-letters.command.js';
import { registerDrainCommand } from './drain/drain.command.js';
import { registerExplainCommand } from './explain/explain.command.js';
import { registerFailedCommand } from './failed.command.js';
import { registerReplayCommand } from './replay.command.js';
import { registerRetryCommand } from './retry.command.js';
import { registerSecretsCommand } from './secrets.command.js';
import { registerStatsCommand } from './stats.command.js';
import { registerTopicsCommand } from './topics.command.js';
import { registerUncertainCommand } from './uncertain.command.js';
import { registerWorkspaceCommand } from './workspace.command.js';

/** How a run ends; docs/cli.md lists them too. */
export const exitCodes = {
  ok: 0,
  /** The command ran and failed, or did part of its work and says what needs a person. */
  failed: 1,
  /** A usage or input error (unknown command or option, a bad value, a missing setting): nothing was changed. */
  usage: 2,
} as const;

const afterHelp = `
Environment: DATABASE_URL for every command but topics, replay and dead-letters, which need KAFKA_BROKERS (and
KAFKA_TOPIC_PREFIX when the services use one; dead-letters also SCHEMA_REGISTRY_URL); drain needs all three. With \`npm run stack\` running: set -a; . .outflow/stack.env; set +a.
Run it as \`outflow\` where installed, \`npm run outflow -- <command>\` from a checkout, or
\`node tools/cli/dist/src/main.js <command>\` in the image.
Exit codes: 0 done, 1 failed (the message says what), 2 usage or input error (nothing was changed).`;

/** The `outflow` command line: every command registered on one commander program that throws instead of exiting. */
export function buildProgram(context: CliContext): Command {
  const program = new Command('outflow')
    .description(
      'Operate an Outflow installation: its figures, failed and uncertain emails, draining what is due, dead letters, cleanup, workspaces, API keys, secrets, Kafka topics.',
    )
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    // Commander would call process.exit itself; main maps its errors to our exit codes after closing the database.
    .exitOverride()
    .addHelpText('after', afterHelp);
  registerStatsCommand(program, context);
  registerFailedCommand(program, context);
  registerRetryCommand(program, context);
  registerDrainCommand(program, context);
  registerExplainCommand(program, context);
  registerCleanupCommand(program, context);
  registerDeadLettersCommand(program, context);
  registerReplayCommand(program, context);
  registerWorkspaceCommand(program, context);
  registerApiKeyCommand(program, context);
  registerUncertainCommand(program, context);
  registerSecretsCommand(program, context);
  registerTopicsCommand(program, context);
  return program;
}
