import { sql } from 'kysely';
import { mailboxDayCapacity, mailboxLocalDay, prepared, type Database } from '@outflow/db';
import type { MailboxBacklog } from './due-backlog.js';

export interface OutboxBacklog {
  messages: number;
  /** How long the oldest message has waited to be published; 0 when none waits. */
  oldestSeconds: number;
}

export interface CapacityToday {
  /** Mailboxes by status. */
  mailboxes: { active: number; paused: number; disabled: number };
  /** Active mailboxes that used their whole day's capacity. */
  atCapacity: number;
  /** The day's capacity of all active mailboxes, and how much of it is used (sent and reserved). */
  capacity: number;
  used: number;
}

export interface MailboxCapacity {
  /** The address, lower-cased; the same address in several workspaces is one mailbox at its provider, summed. */
  mailbox: string;
  capacity: number;
  used: number;
}

/** The outbox holds only what is not yet published, so counting it costs what is waiting. */
export async function readOutboxBacklog(db: Database): Promise<OutboxBacklog> {
  const { rows } = await prepared(
    'queue-outbox-backlog',
    sql<{ messages: number; oldest_seconds: number }>`
    select count(*)::int as messages,
      coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest_seconds
    from outbox
  `,
  ).execute(db);
  return { messages: rows[0]!.messages, oldestSeconds: rows[0]!.oldest_seconds };
}

/**
 * Scheduled emails per mailbox, and of them the due ones (their time passed) with what could hold them back: a
 * sequence that is not active, the mailbox's status, its capacity for its local day. One pass over the due index
 * (index-only, grouped by its leading mailbox column) counts both; the emails of inactive sequences are found from
 * those sequences. The oldest sendable email is looked up only where some are held (it is otherwise the
 * mailbox's oldest due email). The cost follows the scheduled emails: about a second for a million on the bench.
 */
export async function readMailboxBacklogs(db: Database, daySeconds: number): Promise<MailboxBacklog[]> {
  const day = mailboxLocalDay(sql.ref('m.time_zone'), daySeconds);
  const { rows } = await prepared(
    'queue-due-backlogs',
    sql<{
      scheduled: number;
      due: number;
      held_by_sequence: number;
      mailbox_status: string;
      at_capacity: boolean;
      oldest_sendable_seconds: number | null;
    }>`
    with due as (
      select mailbox_id, count(*)::int as scheduled, (count(*) filter (where scheduled_for <= now()))::int as due,
        min(scheduled_for) as oldest
      from email_queues where status = 'scheduled'
      group by mailbox_id
    ), held as (
      select e.mailbox_id, count(*)::int as held
      from sequences s join email_queues e on e.sequence_id = s.id
      where s.status <> 'active' and e.status = 'scheduled' and e.scheduled_for <= now()
      group by e.mailbox_id
    )
    select d.scheduled, d.due, coalesce(h.held, 0) as held_by_sequence, m.status::text as mailbox_status,
      coalesce(c.sent_count + c.reserved_count, 0) >= ${mailboxDayCapacity('m', day)} as at_capacity,
      extract(epoch from now() - (case when h.held is null then d.oldest else (
        select e.scheduled_for from email_queues e join sequences s on s.id = e.sequence_id
        where e.mailbox_id = d.mailbox_id and e.status = 'scheduled' and e.scheduled_for <= now()
          and s.status = 'active'
        order by e.scheduled_for limit 1
      ) end))::float8 as oldest_sendable_seconds
    from due d
    join mailboxes m on m.id = d.mailbox_id
    left join held h on h.mailbox_id = d.mailbox_id
    left join mailbox_daily_counts c on c.mailbox_id = m.id and c.day = ${day}
  `,
  ).execute(db);
  return rows.map((row) => ({
    scheduled: row.scheduled,
    due: row.due,
    heldBySequence: row.held_by_sequence,
    mailboxActive: row.mailbox_status === 'active',
    atCapacity: row.at_capacity,
    oldestSendableSeconds: row.oldest_sendable_seconds,
  }));
}

/** Every active mailbox's capacity for its local day, summed; and the labelled mailboxes' own. */
export async function readCapacity(
  db: Database,
  options: { daySeconds: number; labelled: 'all' | readonly string[]; maxLabelled: number },
): Promise<{ total: CapacityToday; mailboxes: MailboxCapacity[] }> {
  const day = mailboxLocalDay(sql.ref('m.time_zone'), options.daySeconds);
  const today = sql`
    select lower(m.email) as mailbox, ${mailboxDayCapacity('m', day)} as capacity,
      coalesce(c.sent_count + c.reserved_count, 0) as used
    from mailboxes m
    left join mailbox_daily_counts c on c.mailbox_id = m.id and c.day = ${day}
    where m.status = 'active'
  `;
  const { rows: totals } = await prepared(
    'queue-capacity-totals',
    sql<{
      active: number;
      paused: number;
      disabled: number;
      at_capacity: number;
      capacity: number;
      used: number;
    }>`
    select
      -- The active mailboxes are the rows of today's figures; the paused and disabled ones are counted apart.
      count(*)::int as active,
      (select count(*) from mailboxes where status = 'paused')::int as paused,
      (select count(*) from mailboxes where status = 'disabled')::int as disabled,
      count(*) filter (where t.used >= t.capacity)::int as at_capacity,
      coalesce(sum(t.capacity), 0)::float8 as capacity,
      coalesce(sum(t.used), 0)::float8 as used
    from (${today}) t
  `,
  ).execute(db);
  const chosen = options.labelled === 'all' ? sql`true` : sql`t.mailbox = any(${[...options.labelled]}::text[])`;
  const { rows: mailboxes } =
    options.labelled !== 'all' && options.labelled.length === 0
      ? { rows: [] }
      : await prepared(
          'queue-capacity-mailboxes',
          sql<MailboxCapacity>`
          select t.mailbox, sum(t.capacity)::float8 as capacity, sum(t.used)::float8 as used
          from (${today}) t where ${chosen}
          group by t.mailbox order by t.mailbox limit ${options.maxLabelled}
        `,
        ).execute(db);
  const total = totals[0]!;
  return {
    total: {
      mailboxes: { active: total.active, paused: total.paused, disabled: total.disabled },
      atCapacity: total.at_capacity,
      capacity: total.capacity,
      used: total.used,
    },
    mailboxes,
  };
}
