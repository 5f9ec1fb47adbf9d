import { Option, type Command } from '@commander-js/extra-typings';
import { sql } from 'kysely';
import type { Database } from '@outflow/db';
import { markUncertainSent } from '@outflow/kafka';
import { uuidOf } from './arguments.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { printRows, timeCell } from './output.js';

export function registerUncertainCommand(program: Command, context: CliContext): void {
  const { out } = context;
  const uncertain = program
    .command('uncertain')
    .description('Emails whose send outcome is unknown: never resent automatically, a person decides.');

  uncertain
    .command('list')
    .description('List uncertain emails, oldest attempt first.')
    .option('--json', 'print JSON')
    .action(async ({ json }) => {
      const db = await context.database();
      const rows = await db
        .selectFrom('email_queues as e')
        .innerJoin('contacts as c', 'c.id', 'e.contact_id')
        .innerJoin('mailboxes as m', 'm.id', 'e.mailbox_id')
        .select([
          'e.id',
          'c.email as recipient',
          'm.email as mailbox',
          'e.step_order',
          'e.last_attempt_at',
          'e.error_message',
        ])
        .where('e.status', '=', 'uncertain')
        .orderBy('e.last_attempt_at')
        .execute();
      printRows(
        out,
        rows,
        [
          { header: 'EMAIL', value: (row) => row.id },
          { header: 'TO', value: (row) => row.recipient },
          { header: 'FROM', value: (row) => row.mailbox },
          { header: 'STEP', value: (row) => String(row.step_order) },
          { header: 'ATTEMPTED', value: (row) => timeCell(row.last_attempt_at) },
          { header: 'ERROR', value: (row) => row.error_message ?? '-' },
        ],
        { json, empty: 'no uncertain emails' },
      );
    });

  uncertain
    .command('resolve')
    .description('Settle one: --sent (the recipient got it: mark sent, schedule the follow-up) or --resend.')
    .argument('<email-id>', 'the email (outflow uncertain list)', uuidOf('an email id'))
    .addOption(new Option('--sent', 'the recipient got it').conflicts('resend'))
    .addOption(new Option('--resend', 'it did not arrive: send it again'))
    .action(async (id, { sent, resend }) => {
      if (!sent && !resend) throw new CliError('say --sent or --resend');
      const how = sent ? 'sent' : 'resend';
      if (!(await resolveUncertain(await context.database(), id, how))) {
        throw new CliError(`email ${id} is not uncertain (see: outflow uncertain list)`);
      }
      out.result(
        how === 'sent' ? `marked ${id} sent; its follow-up will be scheduled` : `rescheduled ${id} to send again now`,
      );
    });
}

/** Settles an uncertain email; false when it is not (or no longer) uncertain. */
async function resolveUncertain(db: Database, id: string, how: 'sent' | 'resend'): Promise<boolean> {
  if (how === 'sent') {
    return db
      .transaction()
      .execute(async (trx) => (await markUncertainSent(trx, id, { by: 'operator' })) !== undefined);
  }
  // Capacity: the uncertain send already counts against its day; the resend reserves again (never over).
  const rescheduled = await db
    .updateTable('email_queues')
    .set({ status: 'scheduled', scheduled_for: sql`now()`, claim_token: null, claimed_at: null, capacity_day: null })
    .where('id', '=', id)
    .where('status', '=', 'uncertain')
    .executeTakeFirst();
  return rescheduled.numUpdatedRows > 0n;
}
