import { sql, type Transaction } from 'kysely';
import { cancelUnsentEmails, type DB } from '@outflow/db';
import { ApiError } from '../http/api-error.js';

interface InFlight {
  active_enrollments: number;
  /** Scheduled, claimed, being sent or waiting to retry. */
  unsent_emails: number;
  /** Sent or not: a person must resolve them (outflow uncertain). */
  uncertain_emails: number;
}

async function readInFlight(trx: Transaction<DB>, id: string): Promise<InFlight> {
  const { rows } = await sql<InFlight>`
    select
      (select count(*)::int from sequence_contacts where sequence_id = ${id} and status = 'active')
        as active_enrollments,
      (select count(*)::int from email_queues
        where sequence_id = ${id} and status in ('scheduled', 'queued', 'sending', 'retry_pending')) as unsent_emails,
      (select count(*)::int from email_queues where sequence_id = ${id} and status = 'uncertain') as uncertain_emails
  `.execute(trx);
  return rows[0]!;
}

async function lockSequence(trx: Transaction<DB>, id: string) {
  return trx.selectFrom('sequences').select(['id', 'status']).where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * Archives a sequence: it takes no new enrollments and sends nothing more. With anything in flight it is refused
 * (409 sequence_in_flight, with the counts) unless `cancelInFlight`: then its active enrollments are cancelled and
 * their unsent emails with them (capacity given back), in the same transaction; an email being sent right now
 * finishes. Undefined when there is no sequence.
 */
export async function archiveSequence(
  trx: Transaction<DB>,
  id: string,
  cancelInFlight: boolean,
): Promise<{ cancelled_enrollments: number; cancelled_emails: number } | undefined> {
  const sequence = await lockSequence(trx, id);
  if (!sequence) return undefined;
  const inFlight = await readInFlight(trx, id);
  if (!cancelInFlight && (inFlight.active_enrollments > 0 || inFlight.unsent_emails > 0)) {
    throw new ApiError(
      409,
      'sequence_in_flight',
      `sequence ${id} has ${inFlight.active_enrollments} active enrollment(s) and ${inFlight.unsent_emails} unsent ` +
        'email(s): pass cancel_in_flight: true to cancel them, or wait until they finish',
      inFlight,
    );
  }
  const cancelled = await trx
    .updateTable('sequence_contacts')
    .set({ status: 'cancelled' })
    .where('sequence_id', '=', id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  const cancelledEmails = await cancelUnsentEmails(trx, { sequenceId: id });
  await trx.updateTable('sequences').set({ status: 'archived' }).where('id', '=', id).execute();
  return { cancelled_enrollments: Number(cancelled.numUpdatedRows), cancelled_emails: cancelledEmails };
}

/**
 * Deletes a sequence with its versions, enrollments, emails and their audit trail; the events recorded for its
 * emails stay, unlinked, so counts over time keep them. Refused (409 sequence_in_flight) while anything is in
 * flight or uncertain. Undefined when there is no sequence.
 */
export async function deleteSequence(trx: Transaction<DB>, id: string): Promise<true | undefined> {
  const sequence = await lockSequence(trx, id);
  if (!sequence) return undefined;
  const inFlight = await readInFlight(trx, id);
  if (Object.values(inFlight).some((count) => count > 0)) {
    throw new ApiError(
      409,
      'sequence_in_flight',
      `sequence ${id} has ${inFlight.active_enrollments} active enrollment(s), ${inFlight.unsent_emails} unsent and ` +
        `${inFlight.uncertain_emails} uncertain email(s): archive it with cancel_in_flight: true first, and ` +
        'resolve uncertain emails (outflow uncertain)',
      inFlight,
    );
  }
  await trx.deleteFrom('sequences').where('id', '=', id).execute();
  return true;
}
