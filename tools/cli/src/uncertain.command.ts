import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '@outflow/db';
import { enqueueOutbox } from '@outflow/kafka';
import { CliError, type Output } from './cli-error.js';

const usage = `usage:
  outflow uncertain list                     emails whose send outcome is unknown (never resent automatically)
  outflow uncertain resolve <email-id> --sent     the recipient got it: mark sent, schedule the follow-up
  outflow uncertain resolve <email-id> --resend   it did not arrive: send it again`;

export async function runUncertainCommand(db: Database, args: string[], out: Output): Promise<void> {
  const [action, id, how] = args;
  if (action === 'list') {
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
    out.info(`${rows.length} uncertain email(s)`);
    for (const row of rows) {
      out.result(
        `${row.id}  to ${row.recipient}  from ${row.mailbox}  step ${row.step_order}  attempted ${row.last_attempt_at?.toISOString() ?? '-'}`,
      );
    }
    return;
  }
  if (action !== 'resolve') throw new CliError(usage);
  if (!id || !/^[0-9a-f-]{36}$/i.test(id)) throw new CliError(`uncertain resolve needs an email id\n${usage}`);
  if (how !== '--sent' && how !== '--resend') throw new CliError(`say --sent or --resend\n${usage}`);

  const resolved = await db.transaction().execute(async (trx) => {
    const email = await trx
      .selectFrom('email_queues')
      .selectAll()
      .where('id', '=', id)
      .where('status', '=', 'uncertain')
      .forUpdate()
      .executeTakeFirst();
    if (!email) return false;
    if (how === '--resend') {
      // Capacity: the uncertain send already counts against its day; the resend reserves again (never over).
      await trx
        .updateTable('email_queues')
        .set({
          status: 'scheduled',
          scheduled_for: sql`now()`,
          claim_token: null,
          claimed_at: null,
          capacity_day: null,
        })
        .where('id', '=', id)
        .execute();
      return true;
    }
    const sentAt = email.last_attempt_at ?? new Date();
    await trx.updateTable('email_queues').set({ status: 'sent', sent_at: sentAt }).where('id', '=', id).execute();
    await trx
      .updateTable('sequence_contacts')
      .set({ current_step: sql`greatest(current_step, ${email.step_order})` })
      .where('id', '=', email.sequence_contact_id)
      .execute();
    // The follow-up goes through the outbox; the smtp-sender's relay publishes it.
    await enqueueOutbox(trx, [
      {
        topic: 'followup-events',
        messageId: `followup:${email.id}`,
        key: email.sequence_contact_id,
        payload: {
          event_id: randomUUID(),
          email_id: email.id,
          sequence_id: email.sequence_id,
          sequence_contact_id: email.sequence_contact_id,
          contact_id: email.contact_id,
          mailbox_id: email.mailbox_id,
          step_order: email.step_order,
          sent_at: sentAt.getTime(),
        },
      },
    ]);
    return true;
  });
  if (!resolved) throw new CliError(`email ${id} is not uncertain (see: outflow uncertain list)`);
  out.result(
    how === '--sent' ? `marked ${id} sent; its follow-up will be scheduled` : `rescheduled ${id} to send again now`,
  );
}
