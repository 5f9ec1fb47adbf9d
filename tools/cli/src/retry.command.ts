import type { Command } from '@commander-js/extra-typings';
import {
  countFailedEmails,
  listFailedEmails,
  requeueFailedEmail,
  type Database,
  type RequeueResult,
} from '@outflow/db';
import { nameOf, pointInTime, uuidOf } from './arguments.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { printRows, timeCell } from './output.js';
import { progressShown, startProgress } from './progress.js';

/** Failed emails are read and requeued this many at a time, each in a transaction of its own. */
const pageSize = 100;

/** Every permanent failure since `since` (of one sequence), oldest first, a page at a time. */
async function* failedSince(db: Database, since: Date, sequenceId: string | undefined) {
  let after: string | undefined;
  for (;;) {
    const page = await listFailedEmails(db, { since, sequenceId, oldestFirst: true, after, limit: pageSize });
    if (page.emails.length === 0) return;
    yield page.emails;
    after = page.next;
  }
}

export function registerRetryCommand(program: Command, context: CliContext): void {
  const { out } = context;
  program
    .command('retry')
    .description(
      'Send permanently failed emails again, now, with a fresh set of retries (after fixing what failed them): ' +
        'the ones named, or every one that failed since a time. Never one that was sent or is uncertain, nor one ' +
        'whose enrollment ended otherwise (unsubscribed, cancelled, completed). Each is recorded with the reason.',
    )
    .argument(
      '[email-ids...]',
      'the emails (outflow failed)',
      (value, previous: string[]) => [...previous, uuidOf('an email id')(value)],
      [],
    )
    .option(
      '--failed-since <time>',
      'every permanent failure since: an ISO 8601 time or a duration back (24h)',
      pointInTime(),
    )
    .option('--sequence <id>', 'with --failed-since: only this sequence', uuidOf('a sequence id'))
    .requiredOption('--reason <text>', 'why, for the audit trail (1 to 500 characters)', nameOf(500))
    .option('--dry-run', 'with --failed-since: list what would be sent again, change nothing')
    .option('--json', 'print JSON (what was requeued or skipped, or with --dry-run what would be)')
    .action(async (ids, { failedSince: since, sequence, reason, dryRun, json }) => {
      if (ids.length > 0 === (since !== undefined)) {
        throw new CliError('name the emails or give --failed-since <time>, one of the two');
      }
      if (since === undefined && (sequence !== undefined || dryRun)) {
        throw new CliError('--sequence and --dry-run go with --failed-since');
      }
      const db = await context.database();
      const by = 'outflow-cli';

      if (since !== undefined && dryRun) {
        const rows = [];
        for await (const page of failedSince(db, since, sequence)) rows.push(...page);
        printRows(
          out,
          rows,
          [
            { header: 'EMAIL', value: (row) => row.id },
            { header: 'TO', value: (row) => row.recipient },
            { header: 'SEQUENCE', value: (row) => row.sequenceName },
            { header: 'FAILED', value: (row) => timeCell(row.failedAt) },
          ],
          { json, empty: 'no permanent failures since then' },
        );
        if (!json) out.info(`would send ${rows.length} email(s) again (nothing was changed)`);
        return;
      }

      const results: RequeueResult[] = [];
      const requeue = async (id: string) => {
        const result = await requeueFailedEmail(db, id, { text: reason, by });
        results.push(result);
        if (!json) out.result(result.requeued ? `requeued ${id}` : `skipped ${id}: ${result.reason}`);
      };
      if (since === undefined) {
        for (const id of ids) await requeue(id);
      } else {
        const total = progressShown() ? await countFailedEmails(db, { since, sequenceId: sequence }) : 0;
        const progress = startProgress(total, 'requeueing');
        try {
          for await (const page of failedSince(db, since, sequence)) {
            for (const email of page) {
              await requeue(email.id);
              progress.increment();
            }
          }
        } finally {
          progress.stop();
        }
      }
      if (json) out.result(JSON.stringify(results, null, 2));
      const requeued = results.filter((result) => result.requeued).length;
      const skipped = results.length - requeued;
      out.info(`requeued ${requeued} email(s)${skipped > 0 ? `, skipped ${skipped} (said why above)` : ''}`);
      // Named emails that could not all be sent again: exit 2 when none was (nothing changed), 1 when some were.
      if (since === undefined && skipped > 0) {
        if (requeued === 0) throw new CliError('none of the named emails can be sent again');
        throw new Error(`${skipped} of the named emails could not be sent again`);
      }
    });
}
