import type { Command } from '@commander-js/extra-typings';
import { listFailedEmails } from '@outflow/db';
import { pointInTime, uuidOf, wholeNumber } from './arguments.js';
import type { CliContext } from './cli-context.js';
import { printRows, timeCell } from './output.js';

export function registerFailedCommand(program: Command, context: CliContext): void {
  program
    .command('failed')
    .description(
      'Emails given up on (permanent failures), newest first: the recipient, the mailbox, the step and the last ' +
        'error. Send them again with outflow retry.',
    )
    .option(
      '--since <time>',
      'only those that failed since: an ISO 8601 time or a duration back (24h, 7d)',
      pointInTime(),
    )
    .option('--sequence <id>', 'only this sequence', uuidOf('a sequence id'))
    .option('--limit <n>', 'at most this many (1 to 10000)', wholeNumber(1, 10_000), 50)
    .option('--json', 'print JSON')
    .action(async ({ since, sequence, limit, json }) => {
      const { emails: rows } = await listFailedEmails(await context.database(), { since, sequenceId: sequence, limit });
      printRows(
        context.out,
        rows,
        [
          { header: 'EMAIL', value: (row) => row.id },
          { header: 'TO', value: (row) => row.recipient },
          { header: 'FROM', value: (row) => row.mailbox },
          { header: 'SEQUENCE', value: (row) => row.sequenceName },
          { header: 'STEP', value: (row) => String(row.stepOrder) },
          { header: 'ATTEMPTS', value: (row) => String(row.attempts) },
          { header: 'FAILED', value: (row) => timeCell(row.failedAt) },
          { header: 'ERROR', value: (row) => [row.errorCode, row.errorMessage].filter(Boolean).join(' ') || '-' },
        ],
        { json, empty: 'no permanent failures' },
      );
      if (!json && rows.length === limit) context.out.info(`showing the newest ${limit}; --limit shows more`);
    });
}
