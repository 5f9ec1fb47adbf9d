import { sql } from 'kysely';

import { defaultWorkspaceId, type Database } from '@outflow/db';

export const sizes = {
  S: { due: 10_000, history: 90_000, mailboxes: 100 },
  M: { due: 100_000, history: 900_000, mailboxes: 500 },
  L: { due: 1_000_000, history: 9_000_000, mailboxes: 1_000 },
} as const;
export type Size = keyof typeof sizes;

/**
 * unlimited: every mailbox can send everything (throughput). realistic: each mailbox's daily capacity is between
 * 50 and 500 (spread by a fixed hash of its number), and the backlog is skewed: mailbox k holds a share of the due
 * emails proportional to 1/k (Zipf), so the first mailboxes have far more due than they may send today.
 */
export const capacityProfiles = ['unlimited', 'realistic'] as const;
export type CapacityProfile = (typeof capacityProfiles)[number];

/** The realistic profile's share of `due` for each of `mailboxes` mailboxes (1/k, rounded so they add up). */
export function zipfShares(due: number, mailboxes: number): number[] {
  const weights = Array.from({ length: mailboxes }, (_, index) => 1 / (index + 1));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const shares = weights.map((weight) => Math.floor((due * weight) / total));
  // What rounding down left over goes to the first mailboxes, one each.
  for (let left = due - shares.reduce((sum, share) => sum + share, 0), index = 0; left > 0; left--, index++) {
    shares[index % mailboxes]! += 1;
  }
  return shares;
}

/**
 * Generates a dataset in SQL (no per-row round trips), reproducibly: `mailboxes` mailboxes on the sink, `due`
 * emails due now spread over them (evenly, or skewed by the realistic capacity profile), and `history`
 * already-sent emails (follow-ups handled, enrollments completed) that make the tables as large as a system that
 * has been running for a while. Returns the due sequence's id.
 */
export async function generateDataset(
  db: Database,
  size: { due: number; history: number; mailboxes: number; dueMailboxes?: number },
  smtp: { host: string; port: number },
  options: {
    /**
     * Without it everything is due at once (a drain). With it the due emails come due one after the other at
     * this rate (steady state), starting a day from now, until startArrivals moves the start to now.
     */
    arrival?: { ratePerSecond: number } | undefined;
    capacity?: CapacityProfile | undefined;
  } = {},
): Promise<string> {
  const { arrival, capacity = 'unlimited' } = options;
  const dueMailboxes = size.dueMailboxes ?? size.mailboxes;
  // How many due emails each due mailbox holds, by its number (0-based, in email order).
  const dueShares =
    capacity === 'realistic'
      ? zipfShares(size.due, dueMailboxes)
      : Array.from(
          { length: dueMailboxes },
          (_, n) => Math.floor(size.due / dueMailboxes) + (n < size.due % dueMailboxes ? 1 : 0),
        );
  return db.transaction().execute(async (trx) => {
    // Every row in the default workspace, as an install from before workspaces has them.
    await sql`select set_config('outflow.workspace_id', ${defaultWorkspaceId}, true)`.execute(trx);
    await sql`
      insert into mailboxes (email, smtp_host, smtp_port, daily_capacity)
      select 'bench-' || i || '@outflow.test', ${smtp.host}, ${smtp.port},
        ${capacity === 'realistic' ? sql`50 + (i::bigint * 2654435761 % 451)::int` : sql`1000000000`}
      from generate_series(1, ${size.mailboxes}) as i
    `.execute(trx);
    const sequences: Record<string, string> = {};
    for (const name of ['due', 'history']) {
      const { rows } = await sql<{
        id: string;
      }>`insert into sequences (name) values (${`bench ${name}`}) returning id`.execute(trx);
      sequences[name] = rows[0]!.id;
      // The due sequence has a second step far in the future: every send schedules it (the follow-up latency is
      // measured from that), and none of them comes due during the run.
      await sql`
        insert into steps (sequence_id, step_order, subject, content, wait_days)
        values (${sequences[name]}, 1, 'Hello {{first_name}}', 'Hi {{ first_name | default: "there" }}, a benchmark email.', 0)
        ${name === 'due' ? sql`, (${sequences[name]}, 2, 'Again', 'Hi again {{ first_name | default: "there" }}.', 30)` : sql``}
      `.execute(trx);
      await sql`
        insert into sequence_mailboxes (sequence_id, mailbox_id, position)
        select ${sequences[name]}, id, row_number() over (order by email) from mailboxes
      `.execute(trx);
    }
    const { rows: role } = await sql<{ super: boolean }>`
      select rolsuper as super from pg_roles where rolname = current_user
    `.execute(trx);
    for (const [name, count] of [
      ['history', size.history],
      ['due', size.due],
    ] as const) {
      // History is bulk data, not the path being measured: with the rights to, it is written without triggers
      // and its audit trail in one statement afterwards (minutes faster at M and L): one event per email, so the
      // audit table and its index have the size of a real install's.
      const bulk = name === 'history' && role[0]?.super === true;
      if (bulk) await sql`set local session_replication_role = replica`.execute(trx);
      // Which mailbox each new contact (by number) is enrolled from: history round-robin over all mailboxes,
      // the due emails by their shares.
      const mailboxOfContact =
        name === 'history'
          ? sql`select c.n, m.id from numbered_contacts c join numbered_mailboxes m on m.n = c.n % ${size.mailboxes}`
          : sql`
              select row_number() over (order by m.n, slot) - 1 as n, m.id, slot, m.n as mailbox_n
              from numbered_mailboxes m
              join unnest(${dueShares}::int[]) with ordinality as share(emails, position) on share.position = m.n + 1
              cross join lateral generate_series(1, share.emails) as slot`;
      await sql`
        with numbered_mailboxes as (select id, row_number() over (order by email) - 1 as n from mailboxes),
        new_contacts as (
          insert into contacts (email, first_name)
          select ${name} || '-' || i || '@example.com', 'C' || i from generate_series(1, ${count}) as i
          returning id, email
        ),
        numbered_contacts as (select id, row_number() over (order by email) - 1 as n from new_contacts),
        contact_mailbox as (${mailboxOfContact}),
        enrollments as (
          insert into sequence_contacts (sequence_id, contact_id, mailbox_id, status)
          select ${sequences[name]}, c.id, cm.id, ${name === 'history' ? 'completed' : 'active'}::enrollment_status
          from numbered_contacts c join contact_mailbox cm on cm.n = c.n
          returning id, contact_id, mailbox_id
        )
        insert into email_queues (sequence_contact_id, sequence_id, step_id, step_order, contact_id, mailbox_id,
          status, scheduled_for, sent_at, attempts)
        select e.id, ${sequences[name]},
          (select id from steps where sequence_id = ${sequences[name]} and step_order = 1), 1, e.contact_id,
          e.mailbox_id, ${name === 'history' ? 'sent' : 'scheduled'}::email_status,
          ${
            name === 'due' && arrival
              ? sql`now() + interval '1 day'
                  + make_interval(secs => (row_number() over (order by cm.slot, cm.mailbox_n) - 1)
                    / ${arrival.ratePerSecond}::float8)`
              : sql`now() - interval '1 second'`
          },
          ${name === 'history' ? sql`now() - interval '1 day'` : sql`null`},
          ${name === 'history' ? 1 : 0}
        from enrollments e
        ${
          // Emails come due in turns over the mailboxes (each mailbox's first, then each one's second, ...), as a
          // steady flow from many mailboxes does; not mailbox after mailbox, which would send one mailbox's whole
          // share at once through its few connections.
          name === 'due' && arrival
            ? sql`join numbered_contacts c on c.id = e.contact_id join contact_mailbox cm on cm.n = c.n`
            : sql``
        }
      `.execute(trx);
      if (bulk) {
        await sql`
          insert into delivery_events (email_queue_id, from_status, to_status, attempts, occurred_at)
          select e.id, 'in_progress', 'sent', e.attempts, e.sent_at
          from email_queues e
          where e.sequence_id = ${sequences[name]}
        `.execute(trx);
        await sql`set local session_replication_role = origin`.execute(trx);
      }
    }
    return sequences['due']!;
  });
}

/**
 * Steady state: moves the due emails' arrival so the first comes due once this update is committed (the services
 * are running). The update itself takes a while on a big backlog (~0.07 ms per row; 40 s for the 30-min soak), and
 * rows it moves only become visible at its commit: the start is put that far ahead, or the first emails would
 * already be overdue when they appear, and the run would begin with a backlog of the harness's making.
 */
export async function startArrivals(db: Database, sequenceId: string): Promise<void> {
  const { rows } = await sql<{ first_ms: string; n: string }>`
    select (extract(epoch from min(scheduled_for)) * 1000)::bigint as first_ms, count(*) as n from email_queues
    where sequence_id = ${sequenceId} and step_order = 1
  `.execute(db);
  const firstMs = Number(rows[0]!.first_ms);
  const leadSeconds = 1 + Number(rows[0]!.n) / 10_000;
  await sql`
    update email_queues
    set scheduled_for = now() + make_interval(secs => ${leadSeconds})
      + (scheduled_for - to_timestamp(${firstMs / 1000}::float8))
    where sequence_id = ${sequenceId} and step_order = 1
  `.execute(db);
}
