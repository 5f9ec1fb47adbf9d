import { assertDatabaseReachable, createDb } from '@outflow/db';
import { ConfigError, databaseUrl, parseEnv } from '@outflow/config';
import { runApiKeyCommand } from './api-key.command.js';
import { runSecretsCommand } from './secrets.command.js';
import { runTopicsCommand } from './topics.command.js';
import { runUncertainCommand } from './uncertain.command.js';
import { runWorkspaceCommand } from './workspace.command.js';
import { CliError, type Output } from './cli-error.js';

const usage = `usage: outflow <command>   (from a checkout: npm run outflow -- <command>; in the image: node tools/cli/dist/src/main.js <command>)
  workspace create --name <name> | list
  api-key create --name <name> [--workspace <id>] [--scope read|write|admin] [--expires-in <days>] | list | revoke <id>
  uncertain list | resolve <email-id> --sent|--resend
  secrets rotate [--dry-run]        (needs OUTFLOW_SECRET_KEYS too)
  topics create [--replication-factor <n>] | list   (needs KAFKA_BROKERS, not DATABASE_URL)
The others need DATABASE_URL (with \`npm run stack\` running: set -a; . .outflow/stack.env; set +a).`;

const out: Output = {
  info: (line) => process.stderr.write(`${line}\n`),
  result: (line) => process.stdout.write(`${line}\n`),
};

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  if (!command || command === '--help' || command === 'help') {
    out.result(usage);
    return;
  }
  // The one command that works on Kafka, not the database.
  if (command === 'topics') {
    await runTopicsCommand(rest, out);
    return;
  }
  const run = {
    workspace: runWorkspaceCommand,
    'api-key': runApiKeyCommand,
    uncertain: runUncertainCommand,
    secrets: runSecretsCommand,
  }[command];
  if (!run) throw new CliError(`unknown command "${command}"\n${usage}`);
  const { DATABASE_URL } = parseEnv({ DATABASE_URL: databaseUrl });
  await assertDatabaseReachable(DATABASE_URL);
  const db = createDb({ url: DATABASE_URL, maxConnections: 1, applicationName: 'outflow-cli' });
  try {
    await run(db, rest, out);
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof CliError || error instanceof ConfigError ? 2 : 1);
  },
);
