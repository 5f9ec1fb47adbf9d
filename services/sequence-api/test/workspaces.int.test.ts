import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createApiKey, createDb, serviceRoles, type Database } from '@outflow/db';
import { startApiHarness, type ApiHarness } from './api-harness.js';

/**
 * Two workspaces on one installation: a key of one can neither see nor change the other's data through any
 * endpoint, and the API's database role cannot either in plain SQL, whatever its statements say.
 */
describe('workspaces', () => {
  let api: ApiHarness;
  let workspaceB: string;
  let keyB: string;
  /** Workspace A's (the default one's) rows. */
  const a = { mailboxId: '', sequenceId: '', contactId: '', emailId: '' };
  let apiRole: Database;

  const snapshotOfA = async () =>
    (
      await sql<Record<string, unknown>>`
        select (select json_agg(m order by m.id) from mailboxes m where m.id = ${a.mailboxId}) as mailboxes,
          (select json_agg(s order by s.id) from sequences s where s.id = ${a.sequenceId}) as sequences,
          (select json_agg(c order by c.id) from contacts c where c.id = ${a.contactId}) as contacts,
          (select json_agg(sc order by sc.id) from sequence_contacts sc where sc.sequence_id = ${a.sequenceId}) as enrollments,
          (select json_agg(e order by e.id) from email_queues e where e.sequence_id = ${a.sequenceId}) as emails
      `.execute(api.database.db)
    ).rows[0];

  beforeAll(async () => {
    api = await startApiHarness('workspaces-test');
    a.mailboxId = await api.createMailbox();
    const sequence = await api.call('POST', '/sequences', {
      name: 'A only',
      mailbox_ids: [a.mailboxId],
      steps: [{ subject: 'Hi', content: 'Hello {{ first_name }}', wait_days: 3 }],
    });
    a.sequenceId = String(sequence.body['id']);
    const enrolled = await api.call('POST', `/sequences/${a.sequenceId}/contacts`, {
      contacts: [{ email: 'shared@example.com', first_name: 'Ada', fields: { plan: 'pro' } }],
    });
    a.contactId = String((enrolled.body['enrollments'] as Array<{ contact_id: string }>)[0]!.contact_id);
    const emails = await api.call('GET', `/emails?sequence_id=${a.sequenceId}`);
    a.emailId = String((emails.body['emails'] as Array<{ id: string }>)[0]!.id);

    const { rows } = await sql<{ id: string }>`insert into workspaces (name) values ('B') returning id`.execute(
      api.database.db,
    );
    workspaceB = rows[0]!.id;
    keyB = (await createApiKey(api.database.db, { name: 'b-admin', workspaceId: workspaceB, scope: 'admin' })).key;
    apiRole = createDb({ url: api.database.url, maxConnections: 2, role: serviceRoles.api });
  });

  afterAll(async () => {
    await apiRole?.destroy();
    await api?.close();
  });

  it("answers 404 to every endpoint that names another workspace's row, and changes nothing", async () => {
    const before = await snapshotOfA();
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/mailboxes/${a.mailboxId}`],
      ['PATCH', `/mailboxes/${a.mailboxId}`, { daily_capacity: 1 }],
      ['GET', `/sequences/${a.sequenceId}`],
      ['POST', `/sequences/${a.sequenceId}/pause`],
      ['POST', `/sequences/${a.sequenceId}/resume`],
      ['GET', `/sequences/${a.sequenceId}/contacts`],
      ['POST', `/sequences/${a.sequenceId}/contacts`, { contacts: [{ email: 'intruder@example.com' }] }],
      ['DELETE', `/sequences/${a.sequenceId}/contacts/${a.contactId}`],
      ['GET', `/emails/${a.emailId}`],
    ];
    for (const [method, path, body] of attempts) {
      const response = await api.call(method, path, body, keyB);
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
    }
    expect(await snapshotOfA()).toEqual(before);
  });

  it("lists nothing of another workspace's, and cannot link its mailbox into a sequence", async () => {
    expect((await api.call('GET', '/mailboxes', undefined, keyB)).body).toEqual({ mailboxes: [] });
    expect((await api.call('GET', '/emails', undefined, keyB)).body['emails']).toEqual([]);
    expect((await api.call('GET', `/emails?sequence_id=${a.sequenceId}`, undefined, keyB)).body['emails']).toEqual([]);
    const linked = await api.call(
      'POST',
      '/sequences',
      { name: 'steal', mailbox_ids: [a.mailboxId], steps: [{ subject: 'x', content: 'y', wait_days: 0 }] },
      keyB,
    );
    expect(linked.status).toBe(400);
    expect(linked.body.error?.details).toEqual([{ path: 'mailbox_ids', message: `no mailbox ${a.mailboxId}` }]);
  });

  it('keeps contacts per workspace: the same address in B is another contact, and A keeps its values', async () => {
    const mailboxB = await api.call(
      'POST',
      '/mailboxes',
      { email: 'sender@outflow.test', smtp_host: '192.0.2.25', smtp_port: 587 },
      keyB,
    );
    expect(mailboxB.status).toBe(201); // the same address as A's mailbox: unique per workspace
    const sequenceB = await api.call(
      'POST',
      '/sequences',
      {
        name: 'B',
        mailbox_ids: [mailboxB.body['id']],
        steps: [{ subject: 'Hi', content: 'Hello', wait_days: 0 }],
      },
      keyB,
    );
    const enrolled = await api.call(
      'POST',
      `/sequences/${String(sequenceB.body['id'])}/contacts`,
      { contacts: [{ email: 'SHARED@example.com', first_name: 'Mallory', fields: { plan: 'free' } }] },
      keyB,
    );
    expect(enrolled.status).toBe(201);
    expect(enrolled.body['not_updated']).toEqual([]);
    const contactB = (enrolled.body['enrollments'] as Array<{ contact_id: string }>)[0]!.contact_id;
    expect(contactB).not.toBe(a.contactId);
    const { rows } = await sql<{ first_name: string; fields: unknown }>`
      select first_name, fields from contacts where id = ${a.contactId}
    `.execute(api.database.db);
    expect(rows[0]).toEqual({ first_name: 'Ada', fields: { plan: 'pro' } });
  });

  it('never rewrites a known contact silently: stored values stay and the answer names the ones not applied', async () => {
    const other = await api.call('POST', '/sequences', {
      name: 'A second',
      mailbox_ids: [a.mailboxId],
      steps: [{ subject: 'Hi', content: 'Hello', wait_days: 3 }],
    });
    const enroll = (first_name: string, update?: boolean) =>
      api.call('POST', `/sequences/${String(other.body['id'])}/contacts`, {
        contacts: [
          { email: 'shared@example.com', first_name, last_name: 'Lovelace', fields: { plan: 'free', region: 'EU' } },
        ],
        ...(update === undefined ? {} : { update_contacts: update }),
      });
    const stored = async () =>
      (
        await sql<{ first_name: string; last_name: string; fields: unknown }>`
          select first_name, last_name, fields from contacts where id = ${a.contactId}
        `.execute(api.database.db)
      ).rows[0];
    const kept = await enroll('Eve');
    expect(kept.status).toBe(201);
    expect(kept.body['not_updated']).toEqual([{ email: 'shared@example.com', fields: ['first_name', 'fields.plan'] }]);
    // What the contact lacked is added; what it had stays.
    expect(await stored()).toEqual({ first_name: 'Ada', last_name: 'Lovelace', fields: { plan: 'pro', region: 'EU' } });
    // Enrolled there already: a second request with update_contacts overwrites, and says nothing was kept.
    await sql`delete from sequence_contacts where sequence_id = ${String(other.body['id'])}`.execute(api.database.db);
    const updated = await enroll('Eve', true);
    expect(updated.body['not_updated']).toEqual([]);
    expect(await stored()).toEqual({
      first_name: 'Eve',
      last_name: 'Lovelace',
      fields: { plan: 'free', region: 'EU' },
    });
    await sql`update contacts set first_name = 'Ada', fields = '{"plan":"pro"}' where id = ${a.contactId}`.execute(
      api.database.db,
    );
  });

  it("keeps an Idempotency-Key to its own key's workspace", async () => {
    const body = { contacts: [{ email: 'idem@example.com' }] };
    const fromA = await api.call('POST', `/sequences/${a.sequenceId}/contacts`, body, api.key, {
      'idempotency-key': 'same-key',
    });
    expect(fromA.status).toBe(201);
    const fromB = await api.call('POST', `/sequences/${a.sequenceId}/contacts`, body, keyB, {
      'idempotency-key': 'same-key',
    });
    expect(fromB).toMatchObject({ status: 404, replayed: false });
  });

  describe('the API role in plain SQL', () => {
    const inB = <T>(work: (trx: Database) => Promise<T>) =>
      apiRole.transaction().execute(async (trx) => {
        await sql`select set_config('outflow.workspace_id', ${workspaceB}, true)`.execute(trx);
        return work(trx);
      });
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => 'no error',
        (error: { message: string }) => error.message,
      );

    it('runs as outflow_api, not as the login', async () => {
      const { rows } = await sql<{ role: string }>`select current_user as role`.execute(apiRole);
      expect(rows[0]!.role).toBe('outflow_api');
    });

    it('sees no tenant row outside a workspace (the test database defaults to A only for the owner)', async () => {
      const counts = await apiRole.transaction().execute(async (trx) => {
        await sql`select set_config('outflow.workspace_id', '', true)`.execute(trx);
        return (
          await sql<Record<string, number>>`
            select (select count(*)::int from mailboxes) as mailboxes, (select count(*)::int from contacts) as contacts,
              (select count(*)::int from email_queues) as emails, (select count(*)::int from delivery_events) as audit
          `.execute(trx)
        ).rows[0];
      });
      expect(counts).toEqual({ mailboxes: 0, contacts: 0, emails: 0, audit: 0 });
    });

    it("cannot read, change, delete or create another workspace's rows", async () => {
      const seen = await inB(async (trx) => ({
        mailboxes: await trx.selectFrom('mailboxes').select('id').where('id', '=', a.mailboxId).execute(),
        emails: await trx.selectFrom('email_queues').select('id').where('id', '=', a.emailId).execute(),
        audit: await trx.selectFrom('delivery_events').select('id').where('email_queue_id', '=', a.emailId).execute(),
        events: await trx.selectFrom('email_events').select('id').where('email_queue_id', '=', a.emailId).execute(),
        counts: await trx
          .selectFrom('mailbox_daily_counts')
          .select('mailbox_id')
          .where('mailbox_id', '=', a.mailboxId)
          .execute(),
      }));
      expect(seen).toEqual({ mailboxes: [], emails: [], audit: [], events: [], counts: [] });
      const updated = await inB((trx) =>
        trx.updateTable('mailboxes').set({ daily_capacity: 0 }).where('id', '=', a.mailboxId).executeTakeFirst(),
      );
      expect(updated.numUpdatedRows).toBe(0n);
      const deleted = await inB((trx) =>
        trx.deleteFrom('sequence_mailboxes').where('mailbox_id', '=', a.mailboxId).executeTakeFirst(),
      );
      expect(deleted.numDeletedRows).toBe(0n);
      expect(
        await failure(
          inB((trx) =>
            trx
              .insertInto('mailboxes')
              .values({ email: 'x@outflow.test', smtp_host: 'h', smtp_port: 25, workspace_id: a.mailboxId })
              .execute(),
          ),
        ),
      ).toMatch(/violates row-level security policy for table "mailboxes"/);
    });

    it("cannot link its rows to another workspace's by id, though the foreign key would accept it", async () => {
      const message = await failure(
        inB(async (trx) => {
          const sequence = await trx
            .insertInto('sequences')
            .values({ name: 'link' })
            .returning('id')
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('sequence_mailboxes')
            .values({ sequence_id: sequence.id, mailbox_id: a.mailboxId, position: 0 })
            .execute();
        }),
      );
      expect(message).toMatch(/violates row-level security policy for table "sequence_mailboxes"/);
    });

    it('has no access at all to API keys and the pipeline tables', async () => {
      for (const table of ['api_keys', 'outbox', 'kafka_batches', 'followup_scan_progress'] as const) {
        expect(await failure(inB((trx) => trx.selectFrom(table).selectAll().execute()))).toMatch(
          /permission denied for table/,
        );
      }
    });
  });
});

describe('API key scopes and expiry', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness('scopes-test');
  });
  afterAll(async () => {
    await api?.close();
  });

  const keyWith = async (scope: 'read' | 'write' | 'admin', expiresAt: Date | null = null) =>
    (await createApiKey(api.database.db, { name: scope, scope, expiresAt })).key;

  it('lets read keys read, write keys change sequences, and only admin keys touch mailboxes', async () => {
    const read = await keyWith('read');
    const write = await keyWith('write');
    const mailboxId = await api.createMailbox();
    const sequence = {
      name: 'scoped',
      mailbox_ids: [mailboxId],
      steps: [{ subject: 'Hi', content: 'Hello', wait_days: 0 }],
    };
    expect((await api.call('GET', '/mailboxes', undefined, read)).status).toBe(200);
    const refused = await api.call('POST', '/sequences', sequence, read);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: 'forbidden',
      message: 'this API key lacks the write scope (it has read)',
    });
    expect((await api.call('POST', '/sequences', sequence, write)).status).toBe(201);
    const mailbox = { email: 'w@outflow.test', smtp_host: '192.0.2.25', smtp_port: 587 };
    expect((await api.call('POST', '/mailboxes', mailbox, write)).status).toBe(403);
    expect((await api.call('PATCH', `/mailboxes/${mailboxId}`, { daily_capacity: 5 }, write)).status).toBe(403);
  });

  it('refuses an expired key, and records when a key was last used', async () => {
    const expired = await keyWith('admin', new Date(Date.now() - 1_000));
    const response = await api.call('GET', '/mailboxes', undefined, expired);
    expect(response.status).toBe(401);
    expect(response.body.error?.message).toBe('this API key has expired');
    const fresh = await createApiKey(api.database.db, { name: 'fresh', expiresAt: new Date(Date.now() + 60_000) });
    expect((await api.call('GET', '/mailboxes', undefined, fresh.key)).status).toBe(200);
    const { rows } = await sql<{ used: boolean }>`
      select last_used_at > now() - interval '1 minute' as used from api_keys where id = ${fresh.id}
    `.execute(api.database.db);
    expect(rows[0]!.used).toBe(true);
  });
});
