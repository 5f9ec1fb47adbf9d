import { sql } from 'kysely';
import type { Database } from '@outflow/db';
import type { ReceivedMessage } from '@outflow/stack';

export interface Measurement {
  emails: number;
  /** Messages the SMTP sink accepted for these emails. */
  sinkSends: number;
  /** Extra copies at the sink of emails not flagged uncertain (must be 0). */
  duplicates: number;
  /** Extra copies of emails flagged uncertain (allowed: that is what uncertain means). */
  uncertainResends: number;
  /** Emails not in a terminal or uncertain state, sent emails the sink never saw, stuck enrollments (must be 0). */
  lost: number;
  uncertain: number;
  /** (mailbox, day) pairs over their daily capacity, by the database's counts or the sink's arrivals (must be 0). */
  overruns: number;
  /** Each (mailbox, day) over capacity, with both counts, so a failure says where to look. */
  overrunDays: Array<{ mailboxId: string; day: string; capacity: number; counted: number; atSink: number }>;
  /** Emails still moving (not settled) when measured. */
  pending: number;
  /** Active enrollments with nothing scheduled and nothing uncertain: a follow-up not (yet) scheduled. */
  stuck: number;
}

/** Checks the guarantee for the given sequences against the database and what the sink received. */
export async function measure(
  db: Database,
  sequenceIds: string[],
  received: readonly ReceivedMessage[],
): Promise<Measurement> {
  const emails = await db
    .selectFrom('email_queues')
    .select(['id', 'status', 'mailbox_id', 'capacity_day', 'sequence_contact_id'])
    .where('sequence_id', 'in', sequenceIds)
    .execute();
  const ids = new Set(emails.map((email) => email.id));
  const copies = new Map<string, number>();
  for (const message of received) {
    const id = message.headers['x-outflow-email-id'];
    if (id && ids.has(id)) copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  let duplicates = 0;
  let uncertainResends = 0;
  let lost = 0;
  let pending = 0;
  for (const email of emails) {
    const count = copies.get(email.id) ?? 0;
    if (email.status === 'uncertain') uncertainResends += Math.max(0, count - 1);
    else duplicates += Math.max(0, count - 1);
    if (email.status === 'sent' && count === 0) lost += 1;
    if (!['sent', 'permanent_failure', 'cancelled', 'uncertain'].includes(email.status)) pending += 1;
  }
  // An enrollment still active with nothing scheduled would never move again: a lost follow-up.
  const { rows: stuck } = await sql<{ n: number }>`
    select count(*)::int as n from sequence_contacts sc
    where sc.sequence_id = any(${sequenceIds}::uuid[]) and sc.status = 'active'
      and not exists (
        select 1 from email_queues e where e.sequence_contact_id = sc.id
          and e.status in ('scheduled', 'queued', 'sending', 'retry_pending')
      )
      and not exists (select 1 from email_queues e where e.sequence_contact_id = sc.id and e.status = 'uncertain')
  `.execute(db);
  const { rows: counted } = await sql<{ mailbox_id: string; day: string; n: number }>`
    select c.mailbox_id, c.day::text as day, (c.sent_count + c.reserved_count)::int as n from mailbox_daily_counts c
  `.execute(db);
  const atSink = new Map<string, number>();
  for (const email of emails) {
    if (!copies.has(email.id) || !email.capacity_day) continue;
    const key = `${email.mailbox_id}|${email.capacity_day}`;
    atSink.set(key, (atSink.get(key) ?? 0) + 1);
  }
  const capacities = new Map(
    (await db.selectFrom('mailboxes').select(['id', 'daily_capacity']).execute()).map((m) => [m.id, m.daily_capacity]),
  );
  const days = new Map<string, { counted: number; atSink: number }>();
  for (const row of counted) days.set(`${row.mailbox_id}|${row.day}`, { counted: row.n, atSink: 0 });
  for (const [key, n] of atSink) days.set(key, { counted: days.get(key)?.counted ?? 0, atSink: n });
  const overrunDays = [...days]
    .map(([key, counts]) => {
      const [mailboxId, day] = key.split('|') as [string, string];
      return { mailboxId, day, capacity: capacities.get(mailboxId) ?? Infinity, ...counts };
    })
    .filter((entry) => entry.counted > entry.capacity || entry.atSink > entry.capacity);
  return {
    emails: emails.length,
    sinkSends: [...copies.values()].reduce((sum, n) => sum + n, 0),
    duplicates,
    uncertainResends,
    // Counted as lost only once everything else has settled (before that, a follow-up may be in flight).
    lost: lost + (pending === 0 ? stuck[0]!.n : 0),
    stuck: stuck[0]!.n,
    uncertain: emails.filter((email) => email.status === 'uncertain').length,
    overruns: overrunDays.length,
    overrunDays,
    pending,
  };
}

export function holds(measurement: Measurement): boolean {
  return (
    measurement.duplicates === 0 && measurement.lost === 0 && measurement.overruns === 0 && measurement.pending === 0
  );
}
