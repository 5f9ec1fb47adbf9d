import type { Command } from '@commander-js/extra-typings';
import { dayEnv, parseEnv } from '@outflow/config';
import {
  readInFlightEmailCounts,
  readMailboxUsageToday,
  readRecentOutcomes,
  readScheduledCounts,
  type Database,
} from '@outflow/db';
import type { CliContext } from './cli-context.js';
import { formatTable, type Output } from './output.js';

const hourSeconds = 3_600;

/** The figures `outflow stats` shows; also its --json. */
async function readStats(db: Database, daySeconds: number) {
  const [scheduled, inFlight, lastHour, mailboxes] = await Promise.all([
    readScheduledCounts(db),
    readInFlightEmailCounts(db),
    readRecentOutcomes(db, hourSeconds),
    readMailboxUsageToday(db, daySeconds),
  ]);
  return { queue: { ...scheduled, ...inFlight }, lastHour, mailboxes };
}

type Stats = Awaited<ReturnType<typeof readStats>>;

function printStats(out: Output, { queue, lastHour, mailboxes }: Stats): void {
  out.result(
    `queue:      ${queue.scheduled} scheduled (${queue.due} due now), ${queue.queued} queued, ${queue.sending} ` +
      `sending, ${queue.retry_pending} waiting to retry, ${queue.uncertain} uncertain`,
  );
  const rate =
    lastHour.failureRate === null ? 'no attempts' : `${(lastHour.failureRate * 100).toFixed(1)}% of attempts failed`;
  out.result(
    `last hour:  ${lastHour.sent} sent, ${lastHour.failedAttempts} failed attempts (${rate}), ` +
      `${lastHour.permanentFailures} failed for good, ${lastHour.uncertain} uncertain`,
  );
  out.result('');
  if (mailboxes.length === 0) {
    out.result('no mailboxes');
    return;
  }
  const lines = formatTable(mailboxes, [
    { header: 'MAILBOX', value: (mailbox) => mailbox.email },
    { header: 'STATUS', value: (mailbox) => mailbox.status },
    { header: 'DAY', value: (mailbox) => `${mailbox.day} ${mailbox.timeZone}` },
    { header: 'CAPACITY', value: (mailbox) => String(mailbox.capacity) },
    { header: 'SENT', value: (mailbox) => String(mailbox.sent) },
    { header: 'RESERVED', value: (mailbox) => String(mailbox.reserved) },
    { header: 'LEFT', value: (mailbox) => String(mailbox.remaining) },
  ]);
  for (const line of lines) out.result(line);
}

export function registerStatsCommand(program: Command, context: CliContext): void {
  program
    .command('stats')
    .description(
      "The queue by status, the last hour's outcomes and failure rate, and each mailbox's capacity used today " +
        '(its own local day; OUTFLOW_DAY_SECONDS when the services shrink the day).',
    )
    .option('--json', 'print JSON')
    .action(async ({ json }) => {
      const { OUTFLOW_DAY_SECONDS } = parseEnv({ OUTFLOW_DAY_SECONDS: dayEnv.OUTFLOW_DAY_SECONDS });
      const stats = await readStats(await context.database(), OUTFLOW_DAY_SECONDS);
      if (json) context.out.result(JSON.stringify(stats, null, 2));
      else printStats(context.out, stats);
    });
}
