import { sql, type Transaction } from 'kysely';
import { cancelUnsentEmails, settleReservations, type DB } from '@outflow/db';
import { ApiError } from '../http/api-error.js';

const unsent = ['scheduled', 'queued', 'retry_pending'] as const;

async function lockMailbox(trx: Transaction<DB>, id: string) {
  return trx
    .selectFrom('mailboxes')
    .select(['id', 'status'])
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * Moves the active enrollments on a mailbox to the other active mailboxes of their sequences (in turn, in each
 * sequence's mailbox order) with their unsent emails; a claimed one gives its reservation back and is scheduled
 * again (its job in Kafka then sends nothing: the claim token is gone). Enrollments whose sequence has no other
 * active mailbox are returned to be cancelled.
 */
async function reassignEnrollments(
  trx: Transaction<DB>,
  mailboxId: string,
): Promise<{ moved: number; stranded: string[] }> {
  const enrollments = await trx
    .selectFrom('sequence_contacts')
    .select(['id', 'sequence_id'])
    .where('mailbox_id', '=', mailboxId)
    .where('status', '=', 'active')
    .orderBy('id')
    .forUpdate()
    .execute();
  if (enrollments.length === 0) return { moved: 0, stranded: [] };
  const targets = await trx
    .selectFrom('sequence_mailboxes as sm')
    .innerJoin('mailboxes as m', 'm.id', 'sm.mailbox_id')
    .select(['sm.sequence_id', 'm.id'])
    .where('sm.sequence_id', 'in', [...new Set(enrollments.map((enrollment) => enrollment.sequence_id))])
    .where('m.status', '=', 'active')
    .where('m.id', '<>', mailboxId)
    .orderBy('sm.sequence_id')
    .orderBy('sm.position')
    .execute();
  const bySequence = new Map<string, string[]>();
  for (const target of targets)
    bySequence.set(target.sequence_id, [...(bySequence.get(target.sequence_id) ?? []), target.id]);
  const turn = new Map<string, number>();
  const moves: Array<{ id: string; to: string }> = [];
  const stranded: string[] = [];
  for (const enrollment of enrollments) {
    const choices = bySequence.get(enrollment.sequence_id);
    if (!choices) {
      stranded.push(enrollment.id);
      continue;
    }
    const next = turn.get(enrollment.sequence_id) ?? 0;
    moves.push({ id: enrollment.id, to: choices[next % choices.length]! });
    turn.set(enrollment.sequence_id, next + 1);
  }
  if (moves.length === 0) return { moved: 0, stranded };

  const movedIds = moves.map((move) => move.id);
  const claimed = await trx
    .selectFrom('email_queues')
    .select(['capacity_day', sql<number>`count(*)::int`.as('count')])
    .where('sequence_contact_id', 'in', movedIds)
    .where('status', '=', 'queued')
    .groupBy('capacity_day')
    .orderBy('capacity_day')
    .execute();
  await settleReservations(
    trx,
    claimed.map((row) => ({ mailboxId, day: row.capacity_day!, count: row.count })),
    false,
  );
  await sql`
    update sequence_contacts sc set mailbox_id = a.mailbox_id
    from unnest(${movedIds}::uuid[], ${moves.map((move) => move.to)}::uuid[]) as a(id, mailbox_id)
    where sc.id = a.id
  `.execute(trx);
  await sql`
    update email_queues e
    set mailbox_id = sc.mailbox_id,
      status = case when e.status = 'queued' then 'scheduled'::email_status else e.status end,
      claim_token = case when e.status = 'queued' then null else e.claim_token end,
      claimed_at = case when e.status = 'queued' then null else e.claimed_at end,
      capacity_day = case when e.status = 'queued' then null else e.capacity_day end
    from sequence_contacts sc
    where sc.id = e.sequence_contact_id and e.sequence_contact_id = any(${movedIds}::uuid[])
      and e.status in ('scheduled', 'queued', 'retry_pending')
  `.execute(trx);
  return { moved: moves.length, stranded };
}

export interface DisableResult {
  reassigned_enrollments: number;
  cancelled_enrollments: number;
  cancelled_emails: number;
}

/**
 * Disables a mailbox: it sends nothing more and takes no new enrollments. Its active enrollments and their unsent
 * emails move to their sequences' other active mailboxes (`reassign`, the default), or are cancelled when their
 * sequence has none or `reassign` is false; capacity a claim had reserved is given back either way. An email
 * being sent right now finishes. Undefined when there is no such mailbox.
 */
export async function disableMailbox(
  trx: Transaction<DB>,
  id: string,
  reassign: boolean,
): Promise<DisableResult | undefined> {
  const mailbox = await lockMailbox(trx, id);
  if (!mailbox) return undefined;
  await trx.updateTable('mailboxes').set({ status: 'disabled' }).where('id', '=', id).execute();
  const { moved, stranded } = reassign ? await reassignEnrollments(trx, id) : { moved: 0, stranded: [] };
  const toCancel = reassign
    ? stranded
    : (
        await trx
          .selectFrom('sequence_contacts')
          .select('id')
          .where('mailbox_id', '=', id)
          .where('status', '=', 'active')
          .execute()
      ).map((row) => row.id);
  let cancelledEmails = 0;
  if (toCancel.length > 0) {
    await trx.updateTable('sequence_contacts').set({ status: 'cancelled' }).where('id', 'in', toCancel).execute();
    for (const enrollmentId of toCancel) {
      cancelledEmails += await cancelUnsentEmails(trx, { sequenceContactId: enrollmentId });
    }
  }
  // Emails of the mailbox whose enrollment ended otherwise (none are expected) are not left waiting for it.
  cancelledEmails += await cancelUnsentEmails(trx, { mailboxId: id });
  return { reassigned_enrollments: moved, cancelled_enrollments: toCancel.length, cancelled_emails: cancelledEmails };
}

/**
 * Deletes a disabled mailbox with nothing unsent: outright when no email ever named it, else its credentials are
 * erased and it stays, marked deleted, as the name in its emails' history. Refused (409 mailbox_in_use) while it is
 * not disabled or still has unsent, being-sent or uncertain emails. Undefined when there is no such mailbox.
 */
export async function deleteMailbox(
  trx: Transaction<DB>,
  id: string,
): Promise<{ kept_as_history: boolean } | undefined> {
  const mailbox = await lockMailbox(trx, id);
  if (!mailbox) return undefined;
  if (mailbox.status !== 'disabled') {
    throw new ApiError(
      409,
      'mailbox_in_use',
      `mailbox ${id} is ${mailbox.status}: disable it first (POST /mailboxes/${id}/disable)`,
    );
  }
  const pending = await trx
    .selectFrom('email_queues')
    .select(sql<number>`count(*)::int`.as('count'))
    .where('mailbox_id', '=', id)
    .where('status', 'in', [...unsent, 'sending', 'uncertain'])
    .executeTakeFirstOrThrow();
  if (pending.count > 0) {
    throw new ApiError(
      409,
      'mailbox_in_use',
      `mailbox ${id} still has ${pending.count} email(s) unsent, being sent or uncertain (outflow uncertain resolves those)`,
      { emails: pending.count },
    );
  }
  await trx.deleteFrom('sequence_mailboxes').where('mailbox_id', '=', id).execute();
  const history = await trx
    .selectFrom('email_queues')
    .select('id')
    .where('mailbox_id', '=', id)
    .union(trx.selectFrom('sequence_contacts').select('id').where('mailbox_id', '=', id))
    .limit(1)
    .executeTakeFirst();
  if (!history) {
    await trx.deleteFrom('mailboxes').where('id', '=', id).execute();
    return { kept_as_history: false };
  }
  // Kept as a name in its history: nothing of its inbox is read any more, and its IMAP credentials go too.
  await trx.deleteFrom('mailbox_imap').where('mailbox_id', '=', id).execute();
  await trx
    .updateTable('mailboxes')
    .set({
      deleted_at: new Date(),
      encrypted_smtp_password: null,
      smtp_password_key_id: null,
      smtp_username: null,
    })
    .where('id', '=', id)
    .execute();
  return { kept_as_history: true };
}
