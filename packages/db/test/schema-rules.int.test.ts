import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { EmailStatus } from '../src/index.js';
import {
  createTestDatabase,
  seedEnrolledEmail,
  seedMoreEnrolledEmails,
  type TestDatabase,
} from '../src/testing/index.js';

describe('schema rules enforced by the database', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('generates UUID keys and keeps updated_at current', async () => {
    const { mailbox } = await seedEnrolledEmail(database.db);
    expect(mailbox.id).toMatch(/^[0-9a-f-]{36}$/);
    const updated = await database.db
      .updateTable('mailboxes')
      .set({ daily_capacity: 50 })
      .where('id', '=', mailbox.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(updated.updated_at.getTime()).toBeGreaterThan(mailbox.updated_at.getTime());
  });

  it("draws every table's id as a time-ordered UUID (version 7): the insert's milliseconds, then random bits", async () => {
    const { rows: defaults } = await sql<{ table_name: string; column_default: string | null }>`
      select table_name, column_default from information_schema.columns
      where table_schema = 'public' and column_name = 'id' and data_type = 'uuid' order by table_name
    `.execute(database.db);
    expect(defaults.length).toBeGreaterThanOrEqual(10);
    for (const column of defaults)
      expect(`${column.table_name}: ${column.column_default}`).toBe(`${column.table_name}: uuid_v7()`);

    const clock = async () =>
      Number(
        (
          await sql<{ ms: string }>`select (extract(epoch from clock_timestamp()) * 1000)::bigint as ms`.execute(
            database.db,
          )
        ).rows[0]!.ms,
      );
    const before = await clock();
    const { email, enrollment } = await seedEnrolledEmail(database.db);
    const after = await clock();
    for (const id of [email.id, enrollment.id]) {
      // xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx: version 7, RFC 9562 variant.
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
      expect(ms).toBeGreaterThanOrEqual(before - 1);
      expect(ms).toBeLessThanOrEqual(after + 1);
    }

    // Drawn one after another, ids never sort before one drawn in an earlier millisecond, and never repeat.
    const { rows: drawn } = await sql<{ id: string }>`
      select uuid_v7()::text as id from generate_series(1, 20000) order by generate_series
    `.execute(database.db);
    const prefixes = drawn.map((row) => row.id.slice(0, 13));
    expect(prefixes).toEqual([...prefixes].sort());
    expect(new Set(drawn.map((row) => row.id)).size).toBe(20_000);
    expect(new Set(drawn.map((row) => row.id[14])).size).toBe(1);
  });

  it('rejects an unknown time zone, a bad port and a negative capacity', async () => {
    const base = { email: 'x@outflow.test', smtp_host: 'h', smtp_port: 25 };
    await expect(
      database.db
        .insertInto('mailboxes')
        .values({ ...base, time_zone: 'Mars/Olympus' })
        .execute(),
    ).rejects.toThrow(/mailboxes_time_zone_check/);
    await expect(
      database.db
        .insertInto('mailboxes')
        .values({ ...base, smtp_port: 70000 })
        .execute(),
    ).rejects.toThrow(/mailboxes_smtp_port_check/);
    await expect(
      database.db
        .insertInto('mailboxes')
        .values({ ...base, daily_capacity: -1 })
        .execute(),
    ).rejects.toThrow(/mailboxes_daily_capacity_check/);
    await database.db
      .insertInto('mailboxes')
      .values({ ...base, email: 'tz@outflow.test', time_zone: 'America/New_York' })
      .execute();
  });

  it('never schedules the same step of one enrollment twice', async () => {
    const { email } = await seedEnrolledEmail(database.db);
    await expect(
      database.db
        .insertInto('email_queues')
        .values({ ...email, id: undefined, created_at: undefined, updated_at: undefined })
        .execute(),
    ).rejects.toThrow(/email_queues_sequence_contact_id_step_order_key/);
  });

  it("refuses an email whose contact or sequence is not its enrollment's, or whose step is another sequence's", async () => {
    const { email } = await seedEnrolledEmail(database.db);
    const other = await seedEnrolledEmail(database.db);
    const nextStep = { ...email, id: undefined, created_at: undefined, updated_at: undefined, step_order: 2 };
    await expect(
      database.db
        .insertInto('email_queues')
        .values({ ...nextStep, contact_id: other.contact.id })
        .execute(),
    ).rejects.toThrow(/email_queues_enrollment_fkey/);
    await expect(
      database.db
        .insertInto('email_queues')
        .values({ ...nextStep, sequence_id: other.sequence.id, step_id: other.step.id })
        .execute(),
    ).rejects.toThrow(/email_queues_enrollment_fkey/);
    await expect(
      database.db
        .insertInto('email_queues')
        .values({ ...nextStep, step_id: other.step.id })
        .execute(),
    ).rejects.toThrow(/email_queues_sequence_step_fkey/);
  });

  it('deletes the emails of a deleted contact, step or sequence with them', async () => {
    const byContact = await seedEnrolledEmail(database.db);
    const byStep = await seedEnrolledEmail(database.db);
    const bySequence = await seedEnrolledEmail(database.db);
    const exists = async (id: string) =>
      (await database.db.selectFrom('email_queues').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

    await database.db.deleteFrom('contacts').where('id', '=', byContact.contact.id).execute();
    await database.db.deleteFrom('steps').where('id', '=', byStep.step.id).execute();
    await database.db.deleteFrom('sequences').where('id', '=', bySequence.sequence.id).execute();

    expect(await exists(byContact.email.id)).toBe(false);
    expect(await exists(byStep.email.id)).toBe(false);
    expect(await exists(bySequence.email.id)).toBe(false);
    // The step's deletion took only its own emails: its enrollment stays.
    const enrollment = await database.db
      .selectFrom('sequence_contacts')
      .select('id')
      .where('id', '=', byStep.enrollment.id)
      .executeTakeFirst();
    expect(enrollment).toBeDefined();
  });

  it("keeps the audit of what is deleted as its foreign keys did: an email's delivery events go, email events stay unlinked", async () => {
    const byContact = await seedEnrolledEmail(database.db);
    const bySequence = await seedEnrolledEmail(database.db);
    const seeded = [byContact, bySequence];
    await sql`
      insert into email_events (email_queue_id, sequence_id, contact_id, mailbox_id, type, event_key)
      select id, sequence_id, contact_id, mailbox_id, 'sent', 'sent:' || id from email_queues
      where id = any(${seeded.map(({ email }) => email.id)}::uuid[])
    `.execute(database.db);
    const deliveryEvents = async (emailId: string) =>
      (await database.db.selectFrom('delivery_events').select('id').where('email_queue_id', '=', emailId).execute())
        .length;
    const eventOf = (key: string) =>
      database.db
        .selectFrom('email_events')
        .select(['email_queue_id', 'sequence_id', 'contact_id', 'mailbox_id'])
        .where('event_key', '=', key)
        .executeTakeFirstOrThrow();
    expect(await deliveryEvents(byContact.email.id)).toBe(1);

    // A contact deleted in SQL takes its emails and their status history; its events lose their email and keep
    // the workspace. Their contact id is left as it was (erasure through the API unlinks it by the emails' index;
    // a trigger would search every event), naming no one once the contact is gone.
    await database.db.deleteFrom('contacts').where('id', '=', byContact.contact.id).execute();
    expect(await deliveryEvents(byContact.email.id)).toBe(0);
    expect(await eventOf(`sent:${byContact.email.id}`)).toEqual({
      email_queue_id: null,
      sequence_id: byContact.sequence.id,
      contact_id: byContact.contact.id,
      mailbox_id: byContact.mailbox.id,
    });

    // A mailbox can only go once nothing is enrolled on it: deleting the sequence first takes its emails.
    await database.db.deleteFrom('sequences').where('id', '=', bySequence.sequence.id).execute();
    await database.db.deleteFrom('mailboxes').where('id', '=', bySequence.mailbox.id).execute();
    expect(await deliveryEvents(bySequence.email.id)).toBe(0);
    expect(await eventOf(`sent:${bySequence.email.id}`)).toEqual({
      email_queue_id: null,
      sequence_id: null,
      contact_id: bySequence.contact.id,
      mailbox_id: null,
    });
  });

  it('refuses a claimed email without its capacity day, a queued one without a claim token and a sending one without a lease', async () => {
    const { email: unreserved } = await seedEnrolledEmail(database.db);
    await expect(
      database.db
        .updateTable('email_queues')
        .set({ status: 'queued', claim_token: unreserved.id, claimed_at: new Date() })
        .where('id', '=', unreserved.id)
        .execute(),
    ).rejects.toThrow(/email_queues_capacity_day_check/);
    const { email } = await seedEnrolledEmail(database.db);
    await expect(
      database.db
        .updateTable('email_queues')
        .set({ status: 'queued', capacity_day: '2026-01-01' })
        .where('id', '=', email.id)
        .execute(),
    ).rejects.toThrow(/email_queues_check/);
    await expect(
      database.db
        .updateTable('email_queues')
        .set({ status: 'sending', claim_token: email.id, claimed_at: new Date(), capacity_day: '2026-01-01' })
        .where('id', '=', email.id)
        .execute(),
    ).rejects.toThrow(/email_queues_check/);
  });

  it('writes an audit event keyed by the email on every change of its delivery status', async () => {
    const { email } = await seedEnrolledEmail(database.db, 'Audit.Me@example.com');
    const claim = {
      claim_token: '7b1f3c1e-6d1a-4c53-9d7e-1c1f7a0e2b11',
      claimed_at: new Date(),
      capacity_day: '2026-01-01',
    };
    const moves = [
      { status: 'queued' as const, ...claim },
      { status: 'sending' as const, lease_expires_at: new Date(Date.now() + 60_000), attempts: 1 },
      { status: 'retry_pending' as const, error_code: '451', error_message: '4.7.1 try later' },
      { status: 'scheduled' as const, retry_count: 1 },
      { status: 'queued' as const },
      { status: 'sending' as const, attempts: 2 },
      { status: 'sent' as const, sent_at: new Date() },
    ];
    for (const move of moves) {
      await database.db.updateTable('email_queues').set(move).where('id', '=', email.id).execute();
    }
    const events = await database.db
      .selectFrom('delivery_events')
      .select(['from_status', 'to_status', 'attempts', 'error_code'])
      .where('email_queue_id', '=', email.id)
      .orderBy('occurred_at')
      .execute();
    expect(events.map((event) => `${event.from_status ?? '-'}>${event.to_status}`)).toEqual([
      '->queued',
      'queued>in_progress',
      'in_progress>retrying',
      'retrying>queued',
      'queued>in_progress',
      'in_progress>sent',
    ]);
    expect(events[2]).toMatchObject({ attempts: 1, error_code: '451' });
  });

  it('audits a statement that changes many emails: an event for each one whose delivery status changed, only', async () => {
    const seeded = await seedEnrolledEmail(database.db, 'Many.At.Once@example.com');
    // Three more emails in one insert statement: each gets its own first event.
    await seedMoreEnrolledEmails(database.db, seeded, 3, '-1 second');
    const { rows: emails } = await sql<{ id: string }>`
      select id from email_queues where sequence_id = ${seeded.sequence.id} order by id
    `.execute(database.db);
    const ids = emails.map((email) => email.id);
    expect(ids).toHaveLength(4);
    const [claimed, ...waiting] = ids;
    await database.db
      .updateTable('email_queues')
      .set({ status: 'queued', claim_token: claimed!, claimed_at: new Date(), capacity_day: '2026-01-01' })
      .where('id', '=', claimed!)
      .execute();
    // One statement: the claimed email starts sending (queued > in_progress); the scheduled ones move to later,
    // which leaves their delivery status (queued) as it was.
    await sql`
      update email_queues
      set status = case when id = ${claimed!} then 'sending'::email_status else status end,
        lease_expires_at = case when id = ${claimed!} then now() + interval '1 minute' end,
        attempts = case when id = ${claimed!} then 1 else attempts end,
        scheduled_for = scheduled_for + interval '1 hour'
      where id = any(${ids}::uuid[])
    `.execute(database.db);
    const { rows } = await sql<{ email_queue_id: string; change: string }>`
      select email_queue_id, coalesce(from_status::text, '-') || '>' || to_status::text as change
      from delivery_events where email_queue_id = any(${ids}::uuid[])
    `.execute(database.db);
    const changesOf = (id: string) => rows.filter((row) => row.email_queue_id === id).map((row) => row.change);
    expect(changesOf(claimed!)).toEqual(['->queued', 'queued>in_progress']);
    for (const id of waiting) expect(changesOf(id)).toEqual(['->queued']);
  });

  it('has the indexes the hot queries need (due rows, failed emails by time, the audit trail of an email in order)', async () => {
    const { rows } = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where schemaname = 'public' and tablename in ('email_queues', 'delivery_events')
    `.execute(database.db);
    const definitions = rows.map((row) => row.indexdef.replace(/ USING btree/, ''));
    expect(definitions).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ON public\.email_queues \(mailbox_id, scheduled_for, id\) WHERE \(status = 'scheduled'/),
        expect.stringMatching(
          /ON public\.email_queues \(status, updated_at\) WHERE \(status = ANY \(ARRAY\['retry_pending'/,
        ),
        expect.stringMatching(/ON public\.delivery_events \(email_queue_id, occurred_at\)$/),
      ]),
    );
  });

  it('vacuums the email queue after 1% of its rows changed, not the default 20%', async () => {
    const { rows } = await sql<{ reloptions: string[] }>`
      select reloptions from pg_class where oid = 'email_queues'::regclass
    `.execute(database.db);
    expect(rows[0]?.reloptions).toEqual(
      expect.arrayContaining(['autovacuum_vacuum_scale_factor=0.01', 'autovacuum_vacuum_threshold=10000']),
    );
  });

  it('records an audit event exactly when the delivery status its email maps to changes (every pair of states)', async () => {
    const { email } = await seedEnrolledEmail(database.db);
    // Everything any status requires is set once and never changes, so only status, retry_count and the dead
    // letter mark move.
    await database.db
      .updateTable('email_queues')
      .set({
        claim_token: email.id,
        claimed_at: new Date(),
        capacity_day: '2026-01-01',
        lease_expires_at: new Date(Date.now() + 60_000),
        sent_at: new Date(),
      })
      .where('id', '=', email.id)
      .execute();
    const { rows: statuses } = await sql<{ status: EmailStatus }>`
      select unnest(enum_range(null::email_status)) as status
    `.execute(database.db);
    const states = statuses.flatMap(({ status }) =>
      [0, 1].flatMap((retry_count) =>
        [null, new Date('2026-01-01T00:00:00Z')].map((dead_lettered_at) => ({ status, retry_count, dead_lettered_at })),
      ),
    );
    const lastEvent = async () => {
      const { rows } = await sql<{ events: string; to_status: string | null }>`
        select count(*) as events, (array_agg(to_status::text order by occurred_at desc))[1] as to_status
        from delivery_events where email_queue_id = ${email.id}
      `.execute(database.db);
      return rows[0]!;
    };
    const mapped = (state: (typeof states)[number]) =>
      sql<string>`email_delivery_status(${state.status}, ${state.retry_count}, ${state.dead_lettered_at})::text`;
    const mismatches: string[] = [];
    for (const from of states) {
      for (const to of states) {
        await database.db.updateTable('email_queues').set(from).where('id', '=', email.id).execute();
        const before = await lastEvent();
        await database.db.updateTable('email_queues').set(to).where('id', '=', email.id).execute();
        const after = await lastEvent();
        const { rows } = await sql<{ changes: boolean; status: string }>`
          select ${mapped(from)} is distinct from ${mapped(to)} as changes, ${mapped(to)} as status
        `.execute(database.db);
        const recorded = Number(after.events) - Number(before.events);
        const expected = rows[0]!.changes ? 1 : 0;
        if (recorded !== expected || (expected === 1 && after.to_status !== rows[0]!.status)) {
          mismatches.push(`${JSON.stringify(from)} -> ${JSON.stringify(to)}: ${recorded} events, ${after.to_status}`);
        }
      }
    }
    expect(states.length).toBeGreaterThanOrEqual(32);
    expect(mismatches).toEqual([]);
  });

  it('shows a dead-lettered email as dead_letter while it waits for a resend, and as itself once it moves on', async () => {
    const { email } = await seedEnrolledEmail(database.db);
    const statusOf = async () => {
      const { rows } = await sql<{ status: string }>`
        select email_delivery_status(status, retry_count, dead_lettered_at)::text as status
        from email_queues where id = ${email.id}
      `.execute(database.db);
      return rows[0]!.status;
    };
    await database.db
      .updateTable('email_queues')
      .set({ dead_lettered_at: new Date() })
      .where('id', '=', email.id)
      .execute();
    expect(await statusOf()).toBe('dead_letter');
    await database.db
      .updateTable('email_queues')
      .set({ status: 'scheduled', retry_count: 1 })
      .where('id', '=', email.id)
      .execute();
    expect(await statusOf()).toBe('dead_letter');
    await database.db
      .updateTable('email_queues')
      .set({ status: 'permanent_failure', attempts: 3 })
      .where('id', '=', email.id)
      .execute();
    expect(await statusOf()).toBe('failed');
    const { rows } = await sql<{ change: string }>`
      select coalesce(from_status::text, '-') || '>' || to_status::text as change
      from delivery_events where email_queue_id = ${email.id} order by occurred_at
    `.execute(database.db);
    expect(rows.map((row) => row.change)).toEqual(['->queued', 'queued>dead_letter', 'dead_letter>failed']);
  });

  it('returns a mailbox day as a calendar date string, whatever the process time zone', async () => {
    const { mailbox } = await seedEnrolledEmail(database.db);
    await database.db
      .insertInto('mailbox_daily_counts')
      .values({ mailbox_id: mailbox.id, day: '2026-03-08', sent_count: 3 })
      .execute();
    const row = await database.db
      .selectFrom('mailbox_daily_counts')
      .selectAll()
      .where('mailbox_id', '=', mailbox.id)
      .executeTakeFirstOrThrow();
    expect(row.day).toBe('2026-03-08');
  });
});
