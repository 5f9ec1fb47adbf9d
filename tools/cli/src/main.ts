#!/usr/bin/env node
import { CommanderError } from '@commander-js/extra-typings';
import { ConfigError } from '@outflow/config';
import { createCliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { buildProgram, exitCodes } from './cli-program.js';
import { processOutput } from './output.js';

async function main(argv: string[]): Promise<number> {
  const context = createCliContext(processOutput);
  const program = buildProgram(context);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return exitCodes.ok;
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCodes.ok;
  } catch (error) {
    // Commander has printed its own message (and the hint to --help); --help and --version end here with 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof CliError || error instanceof ConfigError ? exitCodes.usage : exitCodes.failed;
  } finally {
    await context.close();
  }
}

// Exit explicitly: a client library that keeps a socket or timer open must not keep the command running.
process.exit(await main(process.argv.slice(2)));
