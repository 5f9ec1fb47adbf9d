import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createSecretBox, imapPasswordBinding, smtpPasswordBinding } from '@outflow/config';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { sql } from 'kysely';
import { authenticateApiKey } from '@outflow/db';
import {
  createTestDatabase,
  seedEnrolledEmail,
  seedFailedEmail,
  seedMoreEnrolledEmails,
  type TestDatabase,
} from '@outflow/db/testing';
import { topicContracts, topicNames } from '@outflow/contracts';
import { createKafka, createSchemaCodec, createTypedProducer, readTopic, withAdmin } from '@outflow/kafka';
import { spawnTypeScript, startTestStack, testLogger, type TestStack } from '@outflow/stack';

const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));

// Each test runs the CLI as several processes, each compiling its sources through tsx (2-5 s apiece when the whole
// suite runs on two cores): more than jest's default minute for the longest, none near three.
jest.setTimeout(180_000);

/** The CLI as a process with only PATH and `env`: its exit code, all it wrote, and its stdout alone. */
async function runCli(args: string[], env: Record<string, string | undefined>) {
  const cli = spawnTypeScript(entry, { args, env: { PATH: process.env['PATH'], ...env } });
  const code = await cli.waitForExit();
  return { code, output: cli.output(), stdout: cli.stdout() };
}

describe('npm run outflow (a real process)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const run = (args: string[], env: Record<string, string | undefined> = { DATABASE_URL: database.url }) =>
    runCli(args, env);
  /** A read command's --json result. */
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await run([...args, '--json']);
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as T;
  };

  it('explains its usage, and rejects unknown commands and a missing DATABASE_URL with exit 2', async () => {
    expect(await run([])).toMatchObject({ code: 0, output: expect.stringContaining('Exit codes: 0 done') });
    // --help on every command and subcommand, with exit 0.
    expect(await run(['api-key', '--help'])).toMatchObject({ code: 0, output: expect.stringContaining('revoke <id>') });
    expect(await run(['api-key', 'create', '--help'])).toMatchObject({
      code: 0,
      output: expect.stringContaining('--expires-in <days>'),
    });
    expect(await run(['launch'])).toMatchObject({
      code: 2,
      output: expect.stringContaining("unknown command 'launch'"),
    });
    expect(await run(['api-key'])).toMatchObject({
      code: 2,
      output: expect.stringContaining('Usage: outflow api-key'),
    });
    expect(await run(['api-key', 'list'], {})).toMatchObject({
      code: 2,
      output: expect.stringContaining('DATABASE_URL'),
    });
    expect(await run(['api-key', 'create'])).toMatchObject({ code: 2, output: expect.stringContaining('--name') });
  });

  it('creates an API key, printed as the last line, that the API accepts; list shows it, revoke ends it', async () => {
    const created = await run(['api-key', 'create', '--name', 'ci']);
    expect(created.code).toBe(0);
    const key = created.output.trim().split('\n').at(-1)!;
    expect(key).toMatch(/^ofk_[A-Za-z0-9_-]{43}$/);
    const stored = await database.db
      .selectFrom('api_keys')
      .select(['id', 'name'])
      .where('id', '=', (await authenticateApiKey(database.db, key))!.id)
      .executeTakeFirst();
    expect(stored?.name).toBe('ci');
    const listed = await run(['api-key', 'list']);
    expect(listed.stdout.split('\n')[0]).toMatch(
      /^ID +PREFIX +NAME +WORKSPACE +SCOPES +CREATED +EXPIRES +LAST USED +REVOKED$/,
    );
    expect(listed.stdout).toMatch(new RegExp(`^${stored!.id}  ${key.slice(0, 10)}…  ci `, 'm'));
    expect(listed.output).not.toContain(key);
    expect(await json<Array<{ id: string; name: string }>>(['api-key', 'list'])).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: stored!.id, name: 'ci' })]),
    );
    expect((await run(['api-key', 'revoke', stored!.id])).code).toBe(0);
    expect(await authenticateApiKey(database.db, key)).toBeUndefined();
  });

  it('creates workspaces and keys confined to one, with a scope and an expiry', async () => {
    const created = await run(['workspace', 'create', '--name', 'Recruiting']);
    expect(created.code).toBe(0);
    const workspaceId = created.output.trim().split('\n').at(-1)!;
    expect((await run(['workspace', 'list'])).stdout).toMatch(new RegExp(`^${workspaceId}  Recruiting `, 'm'));
    expect(await json<Array<{ id: string; name: string }>>(['workspace', 'list'])).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: workspaceId, name: 'Recruiting' })]),
    );
    const key = await run([
      'api-key',
      'create',
      '--name',
      'reader',
      '--workspace',
      workspaceId,
      '--scope',
      'read',
      '--expires-in',
      '30',
    ]);
    expect(key.code).toBe(0);
    expect(key.output).toContain('in workspace "Recruiting", scope read, expires ');
    const stored = await database.db
      .selectFrom('api_keys')
      .select(['workspace_id', 'scopes', 'expires_at'])
      .where('name', '=', 'reader')
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ workspace_id: workspaceId, scopes: ['read'] });
    const days = (stored.expires_at!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    for (const [args, message] of [
      [['--scope', 'root'], "argument 'root' is invalid. Allowed choices are read, write, admin"],
      [['--expires-in', '0'], "'--expires-in <days>' argument '0' is invalid. must be a whole number from 1 to 3650"],
      [['--workspace', 'sales'], "'--workspace <id>' argument 'sales' is invalid. not a workspace id (a UUID)"],
      [['--workspace', '00000000-0000-0000-0000-0000000000ff'], 'no workspace 00000000-0000-0000-0000-0000000000ff'],
    ] as const) {
      expect(await run(['api-key', 'create', '--name', 'bad', ...args])).toMatchObject({
        code: 2,
        output: expect.stringContaining(message),
      });
    }
  });

  it('lists uncertain emails and resolves them: --sent schedules the follow-up, --resend sends again', async () => {
    const delivered = await seedEnrolledEmail(database.db, 'maybe-got-it@example.com');
    const lost = await seedEnrolledEmail(database.db, 'maybe-not@example.com');
    for (const { email } of [delivered, lost]) {
      await database.db
        .updateTable('email_queues')
        .set({ status: 'uncertain', last_attempt_at: new Date(), attempts: 1, error_code: 'LEASE_EXPIRED' })
        .where('id', '=', email.id)
        .execute();
    }
    const listed = await run(['uncertain', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`^${delivered.email.id}  maybe-got-it@example.com `, 'm'));
    expect(await json<Array<{ id: string; recipient: string }>>(['uncertain', 'list'])).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: lost.email.id, recipient: 'maybe-not@example.com' })]),
    );

    expect((await run(['uncertain', 'resolve', delivered.email.id, '--sent'])).code).toBe(0);
    const sent = await database.db
      .selectFrom('email_queues')
      .selectAll()
      .where('id', '=', delivered.email.id)
      .executeTakeFirstOrThrow();
    expect(sent.status).toBe('sent');
    const outbox = await database.db.selectFrom('outbox').selectAll().execute();
    expect(outbox).toEqual([
      expect.objectContaining({
        topic: 'followup-events',
        message_id: `followup:${delivered.email.id}`,
        message_key: delivered.enrollment.id,
      }),
    ]);

    expect((await run(['uncertain', 'resolve', lost.email.id, '--resend'])).code).toBe(0);
    const again = await database.db
      .selectFrom('email_queues')
      .selectAll()
      .where('id', '=', lost.email.id)
      .executeTakeFirstOrThrow();
    expect(again).toMatchObject({ status: 'scheduled', claim_token: null });

    const twice = await run(['uncertain', 'resolve', lost.email.id, '--sent']);
    expect(twice).toMatchObject({ code: 2, output: expect.stringContaining('is not uncertain') });
  });

  it('secrets rotate re-encrypts every password under the active key, bound to its mailbox, and can run again', async () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const lost = randomBytes(32);
    const keys = (...entries: Array<[string, Buffer]>) =>
      entries.map(([id, key]) => `${id}:${key.toString('base64')}`).join(',');
    const mailbox = async (password: (id: string) => { ciphertext: string; keyId: string }) => {
      const id = randomUUID();
      const { ciphertext, keyId } = password(id);
      await database.db
        .insertInto('mailboxes')
        .values({
          id,
          email: `${id}@outflow.test`,
          smtp_host: '192.0.2.25',
          smtp_port: 587,
          encrypted_smtp_password: ciphertext,
          smtp_password_key_id: keyId,
        })
        .execute();
      return id;
    };
    // Written before passwords were bound to their mailbox: the key id was the only authenticated data.
    const legacy = (plaintext: string) => () => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', k1, iv);
      cipher.setAAD(Buffer.from('k1'));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return { ciphertext: Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64'), keyId: 'k1' };
    };
    const old = createSecretBox(new Map([['k1', k1]]), 'k1');
    const unknown = createSecretBox(new Map([['gone', lost]]), 'gone');
    const legacyId = await mailbox(legacy('legacy-pw'));
    const boundId = await mailbox((id) => old.encrypt('bound-pw', smtpPasswordBinding(id)));
    const orphanId = await mailbox((id) => unknown.encrypt('orphan-pw', smtpPasswordBinding(id)));
    // An IMAP password is rotated with the SMTP ones, bound to its own column.
    const imapSealed = old.encrypt('imap-pw', imapPasswordBinding(boundId));
    await database.db
      .insertInto('mailbox_imap')
      .values({
        mailbox_id: boundId,
        workspace_id: (
          await database.db
            .selectFrom('mailboxes')
            .select('workspace_id')
            .where('id', '=', boundId)
            .executeTakeFirstOrThrow()
        ).workspace_id,
        host: '192.0.2.26',
        port: 993,
        username: 'bound',
        encrypted_password: imapSealed.ciphertext,
        password_key_id: imapSealed.keyId,
      })
      .execute();
    const env = { DATABASE_URL: database.url, OUTFLOW_SECRET_KEYS: keys(['k2', k2], ['k1', k1]) };
    const stored = () =>
      database.db
        .selectFrom('mailboxes')
        .select(['id', 'encrypted_smtp_password', 'smtp_password_key_id'])
        .where('id', 'in', [legacyId, boundId, orphanId])
        .execute();
    const before = await stored();

    const dry = await run(['secrets', 'rotate', '--dry-run'], env);
    expect(dry.code).toBe(1);
    expect(dry.output).toContain('would re-encrypt 3 password(s) with key "k2"; 1 could not be decrypted');
    expect(dry.output).toContain(`mailbox ${orphanId} (SMTP): secret key "gone" is not configured`);
    expect(await stored()).toEqual(before);

    const rotated = await run(['secrets', 'rotate'], env);
    expect(rotated.code).toBe(1);
    expect(rotated.output).toContain('re-encrypted 3 password(s) with key "k2"; 1 could not be decrypted');
    const after = new Map((await stored()).map((row) => [row.id, row]));
    const current = createSecretBox(new Map([['k2', k2]]), 'k2');
    for (const [id, plaintext] of [
      [legacyId, 'legacy-pw'],
      [boundId, 'bound-pw'],
    ] as const) {
      const row = after.get(id)!;
      expect(row.smtp_password_key_id).toBe('k2');
      // Readable with the new key alone, and only as this mailbox's.
      expect(current.decrypt(row.encrypted_smtp_password!, 'k2', smtpPasswordBinding(id))).toBe(plaintext);
      expect(() => current.decrypt(row.encrypted_smtp_password!, 'k2', smtpPasswordBinding(orphanId))).toThrow(
        /does not decrypt/,
      );
    }
    expect(after.get(orphanId)).toEqual(before.find((row) => row.id === orphanId));
    const imapRow = await database.db
      .selectFrom('mailbox_imap')
      .select(['encrypted_password', 'password_key_id'])
      .where('mailbox_id', '=', boundId)
      .executeTakeFirstOrThrow();
    expect(imapRow.password_key_id).toBe('k2');
    expect(current.decrypt(imapRow.encrypted_password!, 'k2', imapPasswordBinding(boundId))).toBe('imap-pw');

    // Once the orphan's password is saved again, a second run has nothing left to do.
    await database.db
      .updateTable('mailboxes')
      .set({ encrypted_smtp_password: null, smtp_password_key_id: null })
      .where('id', '=', orphanId)
      .execute();
    const again = await run(['secrets', 'rotate'], env);
    expect(again).toMatchObject({ code: 0, output: expect.stringContaining('re-encrypted 0 password(s)') });
    expect(await run(['secrets', 'rotate', '--now'], env)).toMatchObject({
      code: 2,
      output: expect.stringContaining("unknown option '--now'"),
    });
    expect(await run(['secrets', 'rotate'], { DATABASE_URL: database.url })).toMatchObject({
      code: 2,
      output: expect.stringContaining('OUTFLOW_SECRET_KEYS'),
    });
  });
});

describe('npm run outflow -- stats (a real process)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    // A database of its own: the figures are the whole installation's.
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const run = (args: string[]) => runCli(args, { DATABASE_URL: database.url });

  it("shows the queue by status, the last hour's outcomes and each mailbox's capacity used today", async () => {
    const due = await seedEnrolledEmail(database.db);
    const sent = await seedEnrolledEmail(database.db);
    const failing = await seedEnrolledEmail(database.db);
    const later = await seedEnrolledEmail(database.db);
    const { db } = database;
    await db
      .updateTable('email_queues')
      .set({ status: 'sent', sent_at: new Date() })
      .where('id', '=', sent.email.id)
      .execute();
    await db.updateTable('email_queues').set({ status: 'retry_pending' }).where('id', '=', failing.email.id).execute();
    await db
      .updateTable('email_queues')
      .set({ scheduled_for: new Date(Date.now() + 86_400_000) })
      .where('id', '=', later.email.id)
      .execute();
    await sql`
      insert into mailbox_daily_counts (mailbox_id, day, sent_count, reserved_count)
      values (${sent.mailbox.id}, (now() at time zone 'UTC')::date, 1, 0)
    `.execute(db);
    const event = (email: { id: string }, type: string, ago: string) =>
      sql`
      insert into email_events (email_queue_id, type, occurred_at) values (${email.id}, ${type}::email_event_type, now() - ${ago}::interval)
    `.execute(db);
    await event(sent.email, 'sent', '5 minutes');
    await sql`update email_events set metadata = '{"smtp_ms": 42}' where email_queue_id = ${sent.email.id}`.execute(db);
    await event(failing.email, 'failed', '1 minute');
    // Two hours ago: outside the last hour.
    await event(due.email, 'failed', '2 hours');

    const stats = await run(['stats', '--json']);
    expect(stats.code).toBe(0);
    const figures = JSON.parse(stats.stdout) as {
      queue: Record<string, number>;
      last_hour: Record<string, unknown>;
      mailboxes: Array<{ id: string; capacity: number; sent: number; remaining: number }>;
    };
    // The same figures as GET /stats, in the API's status vocabulary.
    expect(figures.queue).toEqual({
      queued: 2,
      due_now: 1,
      retrying: 1,
      in_progress: 0,
      uncertain: 0,
      dead_letter: 0,
    });
    expect(figures.last_hour).toEqual({
      sent: 1,
      failed: 0,
      failed_attempts: 1,
      uncertain: 0,
      failure_rate: 0.5,
      send_ms: { p50: 42, p95: 42 },
    });
    expect(figures.mailboxes).toHaveLength(4);
    const sender = figures.mailboxes.find((mailbox) => mailbox.id === sent.mailbox.id)!;
    expect(sender).toMatchObject({ sent: 1, remaining: sender.capacity - 1 });

    const table = await run(['stats']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(
      'queue:      2 queued (1 due now), 1 retrying, 0 in progress, 0 uncertain, 0 dead-lettered',
    );
    expect(table.stdout).toContain(
      'last hour:  1 sent, 1 failed attempts (50.0% of attempts failed), 0 failed for good, 0 uncertain; ' +
        'SMTP 42 ms p50, 42 ms p95',
    );
    expect(table.stdout).toMatch(/^MAILBOX +STATUS +DAY +CAPACITY +SENT +RESERVED +LEFT$/m);
    expect(table.stdout).toMatch(
      new RegExp(`^${sent.mailbox.email} +active +\\S+ UTC +${sender.capacity} +1 +0 +${sender.capacity - 1}$`, 'm'),
    );
  });

  it('prunes old publish records and the like, counting first with --dry-run; refuses an age under a day', async () => {
    await sql`
      insert into kafka_batches (topic, claim_token, message_count, email_ids, status, created_at)
      values ('email-jobs', gen_random_uuid(), 1, array[gen_random_uuid()], 'published', now() - interval '40 days')
    `.execute(database.db);
    const dry = await run(['cleanup', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dryRun: true,
      results: expect.arrayContaining([{ kind: 'batches', rows: 1 }]),
    });
    const done = await run(['cleanup', '--only', 'batches,audit', '--older-than', '30d']);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^KIND +DELETED$/m);
    expect(done.stdout).toMatch(/^batches +1$/m);
    expect(done.stdout).toMatch(/^audit +0$/m);
    expect(done.stdout).not.toContain('idempotency-keys');
    expect(await run(['cleanup', '--older-than', '0d'])).toMatchObject({
      code: 2,
      output: expect.stringContaining('at least 1, written like 30d'),
    });
    expect(await run(['cleanup', '--only', 'outbox'])).toMatchObject({
      code: 2,
      output: expect.stringContaining('takes some of audit, batches, idempotency-keys, daily-counts'),
    });
  });
});

describe('npm run outflow -- failed, retry (a real process)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const run = (args: string[]) => runCli(args, { DATABASE_URL: database.url });
  const seedFailed = () => seedFailedEmail(database.db);
  const statusOf = async (id: string) =>
    (await database.db.selectFrom('email_queues').select('status').where('id', '=', id).executeTakeFirstOrThrow())
      .status;

  it('lists permanent failures, and sends named ones again, never a sent one, with exit codes that say how it went', async () => {
    const [first, second, third] = [await seedFailed(), await seedFailed(), await seedFailed()];
    const sent = await seedEnrolledEmail(database.db);
    await database.db
      .updateTable('email_queues')
      .set({ status: 'sent', sent_at: new Date() })
      .where('id', '=', sent.email.id)
      .execute();

    const listed = await run(['failed', '--json']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((email) => email.id).sort()).toEqual(
      [first.email.id, second.email.id, third.email.id].sort(),
    );
    const table = await run(['failed', '--sequence', third.sequence.id]);
    expect(table.stdout).toMatch(/^EMAIL +TO +FROM +SEQUENCE +STEP +ATTEMPTS +FAILED +ERROR$/m);
    expect(table.stdout).toMatch(new RegExp(`^${third.email.id}  ${third.contact.email} .* 550 no such user$`, 'm'));
    expect(table.stdout).not.toContain(first.email.id);

    const one = await run(['retry', first.email.id, '--reason', 'the address was fixed']);
    expect(one).toMatchObject({ code: 0, output: expect.stringContaining(`requeued ${first.email.id}`) });
    expect(await statusOf(first.email.id)).toBe('scheduled');

    // Nothing it may send again: exit 2, nothing changed.
    const refused = await run(['retry', sent.email.id, '--reason', 'x']);
    expect(refused).toMatchObject({
      code: 2,
      output: expect.stringContaining(`skipped ${sent.email.id}: it is sent, not a permanent failure`),
    });
    expect(await statusOf(sent.email.id)).toBe('sent');
    // Some of them: exit 1, the rest done.
    const partly = await run(['retry', second.email.id, sent.email.id, '--reason', 'x']);
    expect(partly).toMatchObject({ code: 1, output: expect.stringContaining('1 of the named emails could not') });
    expect(await statusOf(second.email.id)).toBe('scheduled');

    for (const [args, message] of [
      [['retry', '--reason', 'x'], 'name the emails or give --failed-since <time>'],
      [['retry', third.email.id, '--failed-since', '1h', '--reason', 'x'], 'name the emails or give --failed-since'],
      [['retry', third.email.id], "required option '--reason <text>' not specified"],
      [['retry', 'not-an-id', '--reason', 'x'], 'not an email id (a UUID)'],
      [['retry', '--failed-since', 'last week', '--reason', 'x'], 'must be an ISO 8601 time'],
    ] as const) {
      expect(await run([...args])).toMatchObject({ code: 2, output: expect.stringContaining(message) });
    }
    expect(await statusOf(third.email.id)).toBe('permanent_failure');
  });

  it('sends again every failure since a time, after a dry run that changes nothing', async () => {
    const failed = await seedFailed();
    const dry = await run(['retry', '--failed-since', '1h', '--reason', 'relay fixed', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const candidates = (JSON.parse(dry.stdout) as Array<{ id: string }>).map((email) => email.id);
    expect(candidates).toContain(failed.email.id);
    expect(await statusOf(failed.email.id)).toBe('permanent_failure');

    const done = await run(['retry', '--failed-since', '1h', '--reason', 'relay fixed', '--json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual(candidates.map((id) => ({ id, requeued: true })));
    expect(await statusOf(failed.email.id)).toBe('scheduled');
    expect((await run(['failed', '--json'])).stdout.trim()).toBe('[]');
  });
});

describe('npm run outflow -- explain (a real process)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const explain = async (target: string, env: Record<string, string> = {}) => {
    const { code, output, stdout } = await runCli(['explain', target, '--json'], {
      DATABASE_URL: database.url,
      ...env,
    });
    if (code !== 0) return { code, output, explained: [] };
    const explained = JSON.parse(stdout) as Array<{
      email: string;
      state: string;
      text: string;
      facts: { mailbox: { dayEndsAt: string; dayEndsAtLocal: string; usedToday: number } };
    }>;
    return { code, output, explained };
  };

  it('reads what holds an email from the database: nothing, the capacity until the mailbox day ends, a paused sequence', async () => {
    const seeded = await seedEnrolledEmail(database.db);
    const free = await explain(seeded.email.id);
    expect(free.explained).toMatchObject([{ email: seeded.email.id, state: 'due' }]);

    await sql`
      insert into mailbox_daily_counts (mailbox_id, day, sent_count, reserved_count)
      values (${seeded.mailbox.id}, (now() at time zone 'UTC')::date, 29, 1)
    `.execute(database.db);
    // The day's end is read at the command's now(): expect the boundary after the moment before or after the run
    // (they differ only when one passes while the command runs).
    const boundaryAround = async (dayMs: number, run: () => Promise<number>) => {
      const next = (time: number) => Math.floor(time / dayMs) * dayMs + dayMs;
      const before = next(Date.now());
      const found = await run();
      expect([before, next(Date.now())]).toContain(found);
    };
    await boundaryAround(86_400_000, async () => {
      const full = await explain(seeded.email.id);
      expect(full.explained[0]).toMatchObject({
        state: 'at_capacity',
        text: expect.stringContaining('(30 of 30) until 00:00 mailbox time (UTC)'),
        facts: { mailbox: { usedToday: 30, dayEndsAtLocal: '00:00' } },
      });
      return new Date(full.explained[0]!.facts.mailbox.dayEndsAt).getTime();
    });
    // A shortened day (the demo's): the mailbox's day ends at the next whole hour, on its own clock.
    await boundaryAround(3_600_000, async () => {
      const hourly = await explain(seeded.email.id, { OUTFLOW_DAY_SECONDS: '3600' });
      return new Date(hourly.explained[0]!.facts.mailbox.dayEndsAt).getTime();
    });

    await database.db.updateTable('sequences').set({ status: 'paused' }).where('id', '=', seeded.sequence.id).execute();
    expect((await explain(seeded.email.id)).explained[0]).toMatchObject({ state: 'sequence_paused' });
  });

  it('reads a warm-up ramp and a running gap, and the due emails ahead in the mailbox', async () => {
    const seeded = await seedEnrolledEmail(database.db);
    await seedMoreEnrolledEmails(database.db, seeded, 2, '-1 hour');
    await sql`
      update mailboxes set daily_capacity = 50, warmup_start_capacity = 2, warmup_daily_increase = 3,
        warmup_started_on = (now() at time zone 'UTC')::date - 1, min_gap_seconds = 300
      where id = ${seeded.mailbox.id}
    `.execute(database.db);
    await sql`
      insert into mailbox_daily_counts (mailbox_id, day, sent_count) values (${seeded.mailbox.id}, (now() at time zone 'UTC')::date, 5);
    `.execute(database.db);
    // Day 1 of the ramp: 2 + 3 = 5, all used.
    expect((await explain(seeded.email.id)).explained[0]).toMatchObject({
      state: 'at_capacity',
      text: expect.stringContaining('(5 of 5, warming up: 3 more a day up to 50)'),
    });
    await sql`
      update mailbox_daily_counts set sent_count = 1 where mailbox_id = ${seeded.mailbox.id}
    `.execute(database.db);
    await sql`
      insert into mailbox_pacing (mailbox_id, next_send_at) values (${seeded.mailbox.id}, now() + interval '4 minutes');
    `.execute(database.db);
    expect((await explain(seeded.email.id)).explained[0]).toMatchObject({
      state: 'paced',
      text: expect.stringMatching(
        /keeps 300 s between sends \(plus up to 0 s\): it may send again at .*, in 4 min\. 2 due email\(s\) of the mailbox go before it\./,
      ),
    });
  });

  it('explains a contact by its address: each enrollment’s latest email, and the step that follows a sent one', async () => {
    const seeded = await seedEnrolledEmail(database.db, 'Reader@Example.com');
    await database.db
      .insertInto('steps')
      .values({ sequence_id: seeded.sequence.id, step_order: 2, subject: 'Again', content: 'Hi', wait_days: 2 })
      .execute();
    await database.db
      .updateTable('email_queues')
      .set({ status: 'sent', sent_at: new Date() })
      .where('id', '=', seeded.email.id)
      .execute();
    const byAddress = await explain('reader@example.com');
    expect(byAddress.explained).toMatchObject([
      { email: seeded.email.id, state: 'sent', text: expect.stringContaining('Step 2 follows 2 day(s) later') },
    ]);

    expect(await explain('00000000-0000-0000-0000-00000000abcd')).toMatchObject({
      code: 2,
      output: expect.stringContaining('no email 00000000-0000-0000-0000-00000000abcd'),
    });
    expect(await explain('nobody@example.com')).toMatchObject({
      code: 2,
      output: expect.stringContaining('no enrollment of a contact nobody@example.com'),
    });
    expect(await explain('yesterday')).toMatchObject({
      code: 2,
      output: expect.stringContaining('neither an email id'),
    });
  });
});

describe('npm run outflow -- topics (a real process, a real broker)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const run = runCli;

  it('creates the missing topics with their partition counts, once, and lists them; needs KAFKA_BROKERS only', async () => {
    // A prefix of this test's own: the stack's topics exist already, these do not.
    const prefix = `cli${randomUUID().slice(0, 8)}.`;
    const env = { KAFKA_BROKERS: stack.broker.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix };
    const before = await run(['topics', 'list', '--json'], env);
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toEqual(
      topicNames.map((topic) => ({ name: `${prefix}${topic}`, expectedPartitions: topicContracts[topic].partitions })),
    );

    const created = await run(['topics', 'create', '--replication-factor', '1'], env);
    expect(created).toMatchObject({
      code: 0,
      output: expect.stringContaining(`created ${topicNames.length} topic(s)`),
    });
    const listed = await run(['topics', 'list'], env);
    for (const topic of topicNames) {
      const partitions = String(topicContracts[topic].partitions);
      expect(listed.stdout).toMatch(new RegExp(`^${prefix}${topic} +${partitions} +${partitions} +1$`, 'm'));
    }
    expect(await run(['topics', 'create'], env)).toMatchObject({
      code: 0,
      output: expect.stringContaining('every topic exists already'),
    });

    expect(await run(['topics', 'create', '--replication-factor', '0'], env)).toMatchObject({
      code: 2,
      output: expect.stringContaining("'--replication-factor <n>' argument '0' is invalid"),
    });
    expect(await run(['topics', 'list'], {})).toMatchObject({
      code: 2,
      output: expect.stringContaining('KAFKA_BROKERS'),
    });
    expect(await run(['topics', 'drop'], env)).toMatchObject({
      code: 2,
      output: expect.stringContaining("unknown command 'drop'"),
    });
  });

  it('drains what is due: claims within capacity and --max, publishes each claim to email-jobs, one mailbox or all', async () => {
    const database = await createTestDatabase();
    try {
      const { db } = database;
      const a = await seedEnrolledEmail(db);
      await seedMoreEnrolledEmails(db, a, 9, '-1 minute');
      await db.updateTable('mailboxes').set({ daily_capacity: 6 }).where('id', '=', a.mailbox.id).execute();
      const b = await seedEnrolledEmail(db);
      await seedMoreEnrolledEmails(db, b, 4, '-1 minute');
      // Not due yet: never claimed.
      await seedMoreEnrolledEmails(db, b, 2, '1 hour');
      const env = {
        DATABASE_URL: database.url,
        KAFKA_BROKERS: stack.broker.brokers.join(','),
        KAFKA_TOPIC_PREFIX: stack.topicPrefix,
        SCHEMA_REGISTRY_URL: stack.registry.url,
      };

      const first = await run(['drain', '--max', '3', '--json'], env);
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ claimed: 3, published: 3, failed: 0, stillDue: 12 });

      const onlyB = await run(['drain', '--mailbox', b.mailbox.email.toUpperCase()], env);
      expect(onlyB.code).toBe(0);
      expect(onlyB.stdout).toMatch(new RegExp(`^${b.mailbox.email} +\\d+$`, 'm'));
      expect(onlyB.stdout).not.toContain(a.mailbox.email);
      const rest = await run(['drain'], env);
      expect(rest.code).toBe(0);
      expect(rest.output).toContain('4 still due: held by mailbox capacity used up today');

      const claimed = await db
        .selectFrom('email_queues')
        .select(['id', 'mailbox_id', 'claim_token', 'status'])
        .where('status', '=', 'queued')
        .execute();
      const perMailbox = (id: string) => claimed.filter((row) => row.mailbox_id === id).length;
      expect([perMailbox(a.mailbox.id), perMailbox(b.mailbox.id)]).toEqual([6, 5]);

      // Each claimed email went to email-jobs once, with its claim token: what a sender checks before sending.
      const codec = createSchemaCodec({ registryUrl: stack.registry.url });
      const kafka = createKafka({
        brokers: stack.broker.brokers,
        clientId: 'cli-test',
        logger: testLogger('cli-test'),
        namePrefix: stack.topicPrefix,
      });
      const messages = await readTopic(kafka, 'email-jobs', { limit: 100 });
      const jobs = await Promise.all(messages.map((message) => codec.decode('email-jobs', message.value)));
      expect(jobs.map((job) => [job.email_id, job.claim_token]).sort()).toEqual(
        claimed.map((row) => [row.id, row.claim_token]).sort(),
      );
      const batches = await db.selectFrom('kafka_batches').select(['status', 'message_count']).execute();
      expect(batches.every((batch) => batch.status === 'published')).toBe(true);
      expect(batches.reduce((sum, batch) => sum + batch.message_count, 0)).toBe(11);

      expect(await run(['drain', '--mailbox', 'nobody@outflow.test'], env)).toMatchObject({
        code: 2,
        output: expect.stringContaining('no mailbox nobody@outflow.test'),
      });
      await db.updateTable('mailboxes').set({ status: 'paused' }).where('id', '=', b.mailbox.id).execute();
      expect(await run(['drain', '--mailbox', b.mailbox.id], env)).toMatchObject({
        code: 2,
        output: expect.stringContaining('is paused'),
      });
      expect((await run(['drain', '--max', '0'], env)).code).toBe(2);
    } finally {
      await database.drop();
    }
  });

  it('lists, shows and replays dead letters: the original message back to its topic, whole, marked as replayed', async () => {
    const env = {
      KAFKA_BROKERS: stack.broker.brokers.join(','),
      KAFKA_TOPIC_PREFIX: stack.topicPrefix,
      SCHEMA_REGISTRY_URL: stack.registry.url,
    };
    const codec = createSchemaCodec({ registryUrl: stack.registry.url });
    await codec.registerAll();
    const kafka = createKafka({
      brokers: stack.broker.brokers,
      clientId: 'cli-test',
      logger: testLogger('cli-test'),
      namePrefix: stack.topicPrefix,
    });
    const followup = {
      event_id: randomUUID(),
      email_id: randomUUID(),
      sequence_id: randomUUID(),
      sequence_contact_id: randomUUID(),
      contact_id: randomUUID(),
      mailbox_id: randomUUID(),
      step_order: 1,
      sent_at: Date.now(),
    };
    const original = codec.encode('followup-events', followup);
    const producer = await createTypedProducer({ kafka, codec });
    await producer.send('outflow-dead-letters', [
      {
        key: followup.sequence_contact_id,
        payload: {
          source_topic: kafka.topic('followup-events'),
          source_partition: 2,
          source_offset: '41',
          consumer_group: kafka.group('followup-scheduler'),
          key: Buffer.from(followup.sequence_contact_id),
          value: original,
          headers: { 'outflow-message-id': 'followup:test' },
          error_code: 'HANDLER_FAILED',
          error_message: 'the database refused it',
          failed_at: Date.now(),
        },
      },
    ]);
    await producer.disconnect();

    const listed = await run(['dead-letters', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    const [letter, ...others] = JSON.parse(listed.stdout) as Array<{
      position: string;
      source: string;
      errorCode: string;
    }>;
    expect(others).toEqual([]);
    expect(letter).toMatchObject({ source: `${kafka.topic('followup-events')} 2:41`, errorCode: 'HANDLER_FAILED' });

    const shown = await run(['dead-letters', 'show', letter!.position], env);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      deadLetter: letter!.position,
      errorMessage: 'the database refused it',
      key: followup.sequence_contact_id,
      headers: { 'outflow-message-id': 'followup:test' },
      payload: { email_id: followup.email_id, step_order: 1 },
    });

    expect(await run(['dead-letters', 'replay', letter!.position, '--dry-run'], env)).toMatchObject({
      code: 0,
      output: expect.stringContaining(`would replay ${letter!.position} to ${kafka.topic('followup-events')}`),
    });
    expect(await readTopic(kafka, 'followup-events', { limit: 10 })).toEqual([]);
    const replayed = await run(['dead-letters', 'replay', letter!.position], env);
    expect(replayed).toMatchObject({ code: 0, output: expect.stringContaining(`replayed ${letter!.position}`) });
    const [back, ...more] = await readTopic(kafka, 'followup-events', { limit: 10 });
    expect(more).toEqual([]);
    expect(back!.key?.toString()).toBe(followup.sequence_contact_id);
    expect(back!.value?.equals(original)).toBe(true);
    expect(back!.headers).toEqual({
      'outflow-message-id': 'followup:test',
      'outflow-replayed-from': `${kafka.topic('outflow-dead-letters')}/${letter!.position}`,
    });

    expect(await run(['dead-letters', 'replay'], env)).toMatchObject({
      code: 2,
      output: expect.stringContaining('name the dead letters or give --all'),
    });
    expect(await run(['dead-letters', 'show', '0:999'], env)).toMatchObject({
      code: 2,
      output: expect.stringContaining('no dead letter 0:999'),
    });
  });

  it('replays a topic: moves a stopped group back to a time or an offset, never forward, refused while it runs', async () => {
    const env = { KAFKA_BROKERS: stack.broker.brokers.join(','), KAFKA_TOPIC_PREFIX: stack.topicPrefix };
    const kafka = createKafka({
      brokers: stack.broker.brokers,
      clientId: 'cli-test',
      logger: testLogger('cli-test'),
      namePrefix: stack.topicPrefix,
    });
    const topic = kafka.topic('followup-events');
    const groupId = kafka.group('followup-scheduler');
    // A partition no other test wrote to (the dead letter replayed above lands on its key's partition, with a later
    // time than these): three messages a minute apart (their times set by the producer), all handled by the group.
    const ends = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic));
    const partition = ends.find((end) => end.high === '0')!.partition;
    const producer = kafka.kafka.producer();
    await producer.connect();
    const start = Date.now() - 5 * 60_000;
    const [sent] = await producer.send({
      topic,
      acks: -1,
      messages: [0, 1, 2].map((index) => ({
        partition,
        value: Buffer.from(`m${index}`),
        timestamp: String(start + index * 60_000),
      })),
    });
    await producer.disconnect();
    const base = BigInt(sent!.baseOffset!);
    await withAdmin(kafka, (admin) =>
      admin.setOffsets({ groupId, topic, partitions: [{ partition, offset: String(base + 3n) }] }),
    );
    const ours = (stdout: string) =>
      (JSON.parse(stdout) as Array<{ partition: number }>).find((row) => row.partition === partition);
    const committed = async () =>
      (await withAdmin(kafka, (admin) => admin.fetchOffsets({ groupId, topics: [topic] })))[0]!.partitions.find(
        (row) => row.partition === partition,
      )!.offset;

    const fromTime = new Date(start + 30_000).toISOString();
    const dry = await run(
      ['replay', '--topic', 'followup-events', '--from-time', fromTime, '--dry-run', '--json'],
      env,
    );
    expect(dry.code).toBe(0);
    expect(ours(dry.stdout)).toEqual({
      partition,
      committed: String(base + 3n),
      to: String(base + 1n),
      messages: 2,
    });
    expect(await committed()).toBe(String(base + 3n));

    const done = await run(['replay', '--topic', 'followup-events', '--from-time', fromTime], env);
    expect(done).toMatchObject({ code: 0, output: expect.stringContaining(`moved group ${groupId} on ${topic}`) });
    expect(await committed()).toBe(String(base + 1n));
    // Never forward: an offset past where the group is leaves it there.
    const forward = await run(
      ['replay', '--topic', 'followup-events', '--from-offset', `${partition}:${base + 2n}`, '--json'],
      env,
    );
    expect(ours(forward.stdout)).toMatchObject({ to: String(base + 1n), messages: 2 });
    expect(
      await run(['replay', '--topic', 'followup-events', '--from-offset', `${partition}:99999999`], env),
    ).toMatchObject({
      code: 2,
      output: expect.stringContaining('is outside'),
    });

    // A running member: refused, and nothing moves.
    const member = kafka.kafka.consumer({ groupId });
    const joined = new Promise<void>((resolve) => member.on(member.events.GROUP_JOIN, () => resolve()));
    await member.connect();
    await member.subscribe({ topic, fromBeginning: false });
    await member.run({ autoCommit: false, eachMessage: async () => undefined });
    await joined;
    try {
      expect(
        await run(['replay', '--topic', 'followup-events', '--from-offset', `${partition}:${base}`], env),
      ).toMatchObject({
        code: 2,
        output: expect.stringContaining('running member(s): stop its consumers first'),
      });
    } finally {
      await member.disconnect();
    }
    expect(await run(['replay', '--topic', 'email-events', '--from-time', '1h'], env)).toMatchObject({
      code: 2,
      output: expect.stringContaining('Allowed choices are email-jobs, followup-events, email-retries'),
    });
  });
});
