import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  createDb,
  defaultWorkspaceId,
  listMigrations,
  migrateDown,
  migrateToLatest,
  newerMigrations,
  runKyselyCodegen,
} from '../src/index.js';
import { createTestDatabase, seedEnrolledEmail, type TestDatabase } from '../src/testing/index.js';

async function userTables(database: TestDatabase): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by table_name
  `.execute(database.db);
  return rows.map((row) => row.table_name);
}

async function userTypes(database: TestDatabase): Promise<string[]> {
  const { rows } = await sql<{ typname: string }>`
    select t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where n.nspname = 'public' and t.typtype = 'e' order by t.typname
  `.execute(database.db);
  return rows.map((row) => row.typname);
}

const allMigrations = [
  '2026_11_22_0001_initial_schema',
  '2026_11_22_0002_api_keys_and_capacity_day',
  '2026_11_22_0003_outbox_and_idempotency',
  '2026_11_22_0004_reconciliation',
  '2026_11_23_0005_cheaper_delivery_sync',
  '2026_11_23_0006_due_index_in_claim_order',
  '2026_11_23_0007_cheaper_status_writes',
  '2026_11_23_0008_in_flight_by_day',
  '2026_11_23_0009_queue_autovacuum',
  '2026_11_23_0010_delivery_status_from_email',
  '2026_11_23_0011_fewer_email_indexes',
  '2026_11_23_0012_audit_per_statement',
  '2026_11_23_0013_followup_scan',
  '2026_11_23_0014_audit_without_key_checks',
  '2026_11_24_0015_time_ordered_ids',
  '2026_11_24_0016_enrollment_autovacuum',
  '2026_12_06_0017_liquid_templates',
  '2026_12_06_0018_insecure_auth_opt_out',
  '2026_12_06_0019_workspaces',
  '2026_12_06_0020_trace_context',
  '2026_12_07_0021_outbox_backlog_grant',
  '2026_12_07_0022_sequence_versions',
  '2026_12_07_0023_events_keep_workspace',
  '2026_12_07_0024_contact_erasure',
  '2026_12_07_0025_mailbox_lifecycle',
  '2026_12_07_0026_suppressions',
  '2026_12_07_0027_inbound_mail',
  '2026_12_07_0028_threaded_followups',
  '2026_12_07_0029_send_windows',
  '2026_12_07_0030_mailbox_pacing',
];

describe('migrations on a real PostgreSQL', () => {
  let empty: TestDatabase;

  beforeAll(async () => {
    empty = await createTestDatabase({ empty: true });
  });
  afterAll(async () => {
    await empty?.drop();
  });

  it('apply the whole schema, roll back to nothing, and apply again', async () => {
    expect(await migrateToLatest(empty.db)).toEqual(allMigrations);
    expect(await userTables(empty)).toEqual([
      'api_keys',
      'contacts',
      'delivery_events',
      'email_events',
      'email_queues',
      'followup_scan_progress',
      'idempotency_keys',
      'inbound_messages',
      'kafka_batches',
      'mailbox_daily_counts',
      'mailbox_imap',
      'mailbox_pacing',
      'mailboxes',
      'outbox',
      'sequence_contacts',
      'sequence_mailboxes',
      'sequence_versions',
      'sequences',
      'steps',
      'suppressions',
      'workspaces',
    ]);
    expect(await userTypes(empty)).toContain('email_status');
    // The two tables every send rewrites are vacuumed after 1% of their rows changed (0009, 0016).
    const { rows: vacuumed } = await sql<{ relname: string; reloptions: string[] | null }>`
      select relname, reloptions from pg_class where relname in ('email_queues', 'sequence_contacts') order by relname
    `.execute(empty.db);
    for (const table of vacuumed) {
      expect(table.reloptions).toEqual(
        expect.arrayContaining(['autovacuum_vacuum_scale_factor=0.01', 'autovacuum_vacuum_threshold=10000']),
      );
    }
    expect(vacuumed.map((table) => table.relname)).toEqual(['email_queues', 'sequence_contacts']);

    expect(await migrateDown(empty.db, allMigrations.length)).toEqual([...allMigrations].reverse());
    expect(await userTables(empty)).toEqual([]);
    expect(await userTypes(empty)).toEqual([]);
    expect((await listMigrations(empty.db)).every((migration) => migration.executedAt === null)).toBe(true);

    expect(await migrateToLatest(empty.db)).toEqual(allMigrations);
    expect(await migrateToLatest(empty.db)).toEqual([]);
  });

  it('let a rolled-back release start on a database a newer release migrated, and refuse one from another branch', async () => {
    expect(await migrateToLatest(empty.db)).toEqual([]);
    const recordRun = (name: string) =>
      sql`insert into kysely_migration (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(
        empty.db,
      );
    const fromNewerRelease = '9999_12_31_0001_from_a_newer_release';
    await recordRun(fromNewerRelease);
    try {
      // Without this, kysely refuses the run ("corrupted migrations") and the older pods' init containers fail.
      expect(await newerMigrations(empty.db)).toEqual([fromNewerRelease]);
      expect(await migrateToLatest(empty.db)).toEqual([]);
      await recordRun('2026_11_22_0001_b_from_another_branch');
      await expect(migrateToLatest(empty.db)).rejects.toThrow(/another branch or build/);
    } finally {
      await sql`delete from kysely_migration where name like '%_from_%'`.execute(empty.db);
    }
    expect(await newerMigrations(empty.db)).toEqual([]);
  });

  it('are safe when two runs start at once: one applies, the other waits and finds nothing to do', async () => {
    const fresh = await createTestDatabase({ empty: true });
    const second = createDb({ url: fresh.url, maxConnections: 2 });
    try {
      const [a, b] = await Promise.all([migrateToLatest(fresh.db), migrateToLatest(second)]);
      expect([...a, ...b]).toEqual(allMigrations);
      const { rows } = await sql<{ count: string }>`select count(*) as count from kysely_migration`.execute(fresh.db);
      expect(rows[0]?.count).toBe(String(allMigrations.length));
    } finally {
      await second.destroy();
      await fresh.drop();
    }
  });
});

describe('moving the delivery status onto the email (0010) and back', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const changes = async (emailId: string) => {
    const { rows } = await sql<{ change: string }>`
      select coalesce(from_status::text, '-') || '>' || to_status::text as change
      from delivery_events where email_queue_id = ${emailId} order by occurred_at
    `.execute(database.db);
    return rows.map((row) => row.change);
  };

  it('keeps the audit trail and dead letter mark of every email, and rebuilds the delivery rows on the way down', async () => {
    const { email, contact } = await seedEnrolledEmail(database.db);
    const { email: deadLettered } = await seedEnrolledEmail(database.db);
    await database.db
      .updateTable('email_queues')
      .set({ status: 'permanent_failure', attempts: 1, error_code: '550' })
      .where('id', '=', email.id)
      .execute();
    await database.db
      .updateTable('email_queues')
      .set({ dead_lettered_at: new Date() })
      .where('id', '=', deadLettered.id)
      .execute();
    expect(await changes(email.id)).toEqual(['->queued', 'queued>failed']);

    const fromDeliveryStatus = allMigrations.slice(allMigrations.indexOf('2026_11_23_0010_delivery_status_from_email'));
    expect(await migrateDown(database.db, fromDeliveryStatus.length)).toEqual([...fromDeliveryStatus].reverse());
    const { rows: deliveries } = await sql<{
      email_queue_id: string;
      recipient: string;
      status: string;
      events: string;
    }>`
      select d.email_queue_id, d.recipient, d.status::text as status,
        (select count(*) from delivery_events de where de.delivery_id = d.id) as events
      from deliveries d where d.email_queue_id in (${email.id}, ${deadLettered.id})
    `.execute(database.db);
    expect(deliveries).toEqual(
      expect.arrayContaining([
        { email_queue_id: email.id, recipient: contact.email, status: 'failed', events: '2' },
        { email_queue_id: deadLettered.id, recipient: expect.any(String), status: 'dead_letter', events: '2' },
      ]),
    );
    // The old triggers are back: a change on the way down is audited on the delivery.
    await database.db.updateTable('email_queues').set({ status: 'cancelled' }).where('id', '=', email.id).execute();

    expect(await migrateToLatest(database.db)).toEqual(fromDeliveryStatus);
    expect(await changes(email.id)).toEqual(['->queued', 'queued>failed', 'failed>cancelled']);
    expect(await changes(deadLettered.id)).toEqual(['->queued', 'queued>dead_letter']);
    const { rows } = await sql<{ status: string }>`
      select email_delivery_status(status, retry_count, dead_lettered_at)::text as status
      from email_queues where id = ${deadLettered.id}
    `.execute(database.db);
    expect(rows[0]?.status).toBe('dead_letter');
  });
});

describe('finding lost follow-ups by a scan instead of a mark (0013) and back', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const sentAt = (minutesAgo: number) => sql`date_trunc('milliseconds', now()) - make_interval(mins => ${minutesAgo})`;

  it('starts the scan just before the oldest unhandled email, and marks only what it checked on the way down', async () => {
    const fromScan = allMigrations.slice(allMigrations.indexOf('2026_11_23_0013_followup_scan'));
    expect(await migrateDown(database.db, fromScan.length)).toEqual([...fromScan].reverse());
    const { email: handled } = await seedEnrolledEmail(database.db);
    const { email: unhandled } = await seedEnrolledEmail(database.db);
    const { email: newer } = await seedEnrolledEmail(database.db);
    await sql`
      update email_queues set status = 'sent',
        sent_at = case id when ${handled.id}::uuid then ${sentAt(60)} when ${unhandled.id}::uuid then ${sentAt(30)}
          else ${sentAt(10)} end,
        followup_handled_at = case when id = ${handled.id}::uuid then now() end
      where id in (${handled.id}, ${unhandled.id}, ${newer.id})
    `.execute(database.db);

    expect(await migrateToLatest(database.db)).toEqual(fromScan);
    const { rows: progress } = await sql<{ behind_unhandled_ms: number }>`
      select (extract(epoch from e.sent_at - p.scanned_to) * 1000)::float8 as behind_unhandled_ms
      from followup_scan_progress p, email_queues e where e.id = ${unhandled.id}
    `.execute(database.db);
    expect(progress).toEqual([{ behind_unhandled_ms: 1 }]);

    // The scan checked up to 20 minutes ago: the email sent 10 minutes ago is left for the old reconciler.
    await sql`update followup_scan_progress set scanned_to = ${sentAt(20)}`.execute(database.db);
    expect(await migrateDown(database.db, fromScan.length)).toEqual([...fromScan].reverse());
    const { rows: marks } = await sql<{ id: string; handled: boolean }>`
      select id, followup_handled_at is not null as handled from email_queues
      where id in (${handled.id}, ${unhandled.id}, ${newer.id})
    `.execute(database.db);
    expect(marks).toEqual(
      expect.arrayContaining([
        { id: handled.id, handled: true },
        { id: unhandled.id, handled: true },
        { id: newer.id, handled: false },
      ]),
    );
    expect(await migrateToLatest(database.db)).toEqual(fromScan);
  });
});

describe('the move to Liquid templates on a real PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('rewrites stored steps of the old syntax, and writes them back on the way down', async () => {
    const last = allMigrations.slice(allMigrations.indexOf('2026_12_06_0017_liquid_templates'));
    expect(await migrateDown(database.db, last.length)).toEqual([...last].reverse());
    const { step } = await seedEnrolledEmail(database.db);
    await sql`
      update steps set subject = 'Hi {{first_name | there}}', content = 'At {{ company|your "team" }}, {% literal'
      where id = ${step.id}
    `.execute(database.db);
    const stored = async () =>
      (
        await sql<{
          subject: string;
          content: string;
        }>`select subject, content from steps where id = ${step.id}`.execute(database.db)
      ).rows[0];

    expect(await migrateToLatest(database.db)).toEqual(last);
    expect(await stored()).toEqual({
      subject: 'Hi {{ first_name | default: "there" }}',
      content: 'At {{ company | default: "your \\"team\\"" }}, {{ "{%" }} literal',
    });
    expect(await migrateDown(database.db, last.length)).toEqual([...last].reverse());
    expect(await stored()).toEqual({
      subject: 'Hi {{ first_name | there }}',
      content: 'At {{ company | your "team" }}, {% literal',
    });
    expect(await migrateToLatest(database.db)).toEqual(last);
  });
});

describe('workspaces (0019) for an installation that had none, and back', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  // The migrations from 0019 on, which the test takes down and up again.
  const fromWorkspaces = allMigrations.slice(allMigrations.indexOf('2026_12_06_0019_workspaces'));

  it('puts every existing row and key in the default workspace, keys with every scope, and removes it all on the way down', async () => {
    expect(await migrateDown(database.db, fromWorkspaces.length)).toEqual([...fromWorkspaces].reverse());
    const { email } = await seedEnrolledEmail(database.db, 'before@example.com');
    await sql`insert into api_keys (name, key_hash, key_prefix) values ('old', 'hash', 'ofk_old')`.execute(database.db);
    expect(await migrateToLatest(database.db)).toEqual(fromWorkspaces);

    const { rows } = await sql<{ table: string; workspaces: string[] }>`
      select 'api_keys' as table, array_agg(distinct workspace_id::text) as workspaces from api_keys
      union all select 'contacts', array_agg(distinct workspace_id::text) from contacts
      union all select 'sequences', array_agg(distinct workspace_id::text) from sequences
      union all select 'email_queues', array_agg(distinct workspace_id::text) from email_queues where id = ${email.id}
    `.execute(database.db);
    for (const row of rows) expect(row).toEqual({ table: row.table, workspaces: [defaultWorkspaceId] });
    const { rows: keys } = await sql<{ scopes: string[] }>`select scopes from api_keys`.execute(database.db);
    expect(keys).toEqual([{ scopes: ['read', 'write', 'admin'] }]);

    // One contact per address within a workspace; the same address in another workspace is another contact.
    const { rows: other } = await sql<{
      id: string;
    }>`insert into workspaces (name) values ('other') returning id`.execute(database.db);
    await sql`insert into contacts (email, workspace_id) values ('BEFORE@example.com', ${other[0]!.id})`.execute(
      database.db,
    );
    await expect(
      sql`insert into contacts (email, workspace_id) values ('Before@Example.com', ${defaultWorkspaceId})`.execute(
        database.db,
      ),
    ).rejects.toThrow(/contacts_workspace_email_key/);
    // A row written outside any workspace is refused, not filed in one.
    await expect(
      database.db.transaction().execute(async (trx) => {
        await sql`select set_config('outflow.workspace_id', '', true)`.execute(trx);
        await sql`insert into sequences (name) values ('nowhere')`.execute(trx);
      }),
    ).rejects.toThrow(/null value in column "workspace_id"/);

    await sql`delete from contacts where workspace_id = ${other[0]!.id}`.execute(database.db);
    expect(await migrateDown(database.db, fromWorkspaces.length)).toEqual([...fromWorkspaces].reverse());
    const { rows: columns } = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.columns where column_name in ('workspace_id', 'scopes')
    `.execute(database.db);
    expect(columns[0]!.n).toBe(0);
    const { rows: policies } = await sql<{ n: number }>`select count(*)::int as n from pg_policies`.execute(
      database.db,
    );
    expect(policies[0]!.n).toBe(0);
    expect(await migrateToLatest(database.db)).toEqual(fromWorkspaces);
  });
});

describe('the kysely Database type', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('matches the migrated schema (regenerate with pnpm db:types)', () => {
    const result = runKyselyCodegen(database.url, { verify: true });
    expect(result.output).toContain('up-to-date');
    expect(result.ok).toBe(true);
  });

  it('is reported stale when the schema drifts from it', async () => {
    await sql`alter table mailboxes add column drift_probe text`.execute(database.db);
    try {
      const result = runKyselyCodegen(database.url, { verify: true });
      expect(result.ok).toBe(false);
    } finally {
      await sql`alter table mailboxes drop column drift_probe`.execute(database.db);
    }
  });
});
