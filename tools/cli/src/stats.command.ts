import type { Command } from '@commander-js/extra-typings';
import { dayEnv, parseEnv } from '@outflow/config';
import { readStats, type Stats } from '@outflow/db';
import type { CliContext } from './cli-context.js';
import { formatTable, type Output } from './output.js';

function printStats(out: Output, { queue, last_hour: lastHour, mailboxes }: Stats): void {
  out.result(
    `queue:      ${queue.queued} queued (${queue.due_now} due now), ${queue.retrying} retrying, ` +
      `${queue.in_progress} in progress, ${queue.uncertain} uncertain, ${queue.dead_letter} dead-lettered`,
  );
  const rate =
    lastHour.failure_rate === null ? 'no attempts' : `${(lastHour.failure_rate * 100).toFixed(1)}% of attempts failed`;
  const times =
    lastHour.send_ms.p50 === null ? '' : `; SMTP ${lastHour.send_ms.p50} ms p50, ${lastHour.send_ms.p95} ms p95`;
  out.result(
    `last hour:  ${lastHour.sent} sent, ${lastHour.failed_attempts} failed attempts (${rate}), ` +
      `${lastHour.failed} failed for good, ${lastHour.uncertain} uncertain${times}`,
  );
  out.result('');
  if (mailboxes.length === 0) {
    out.result('no mailboxes');
    return;
  }
  const lines = formatTable(mailboxes, [
    { header: 'MAILBOX', value: (mailbox) => mailbox.email },
    { header: 'STATUS', value: (mailbox) => mailbox.status },
    { header: 'DAY', value: (mailbox) => `${mailbox.day} ${mailbox.time_zone}` },
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
      const stats = await readStats(await context.database(), {
        daySeconds: OUTFLOW_DAY_SECONDS,
        windowSeconds: 3_600,
      });
      if (json) context.out.result(JSON.stringify(stats, null, 2));
      else printStats(context.out, stats);
    });
}
