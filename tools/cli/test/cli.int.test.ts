import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findActiveApiKey } from '@outflow/db';
import { createTestDatabase, seedEnrolledEmail, type TestDatabase } from '@outflow/db/testing';
import { spawnTypeScript } from '@outflow/stack';

const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('pnpm outflow (a real process)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const run = async (args: string[], env: Record<string, string | undefined> = { DATABASE_URL: database.url }) => {
    const cli = spawnTypeScript(entry, { args, env: { PATH: process.env['PATH'], ...env } });
    const code = await cli.waitForExit();
    return { code, output: cli.output() };
  };

  it('explains its usage, and rejects unknown commands and a missing DATABASE_URL with exit 2', async () => {
    expect(await run([])).toMatchObject({ code: 0, output: expect.stringContaining('api-key create --name') });
    expect(await run(['launch'])).toMatchObject({
      code: 2,
      output: expect.stringContaining('unknown command "launch"'),
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
    const stored = await findActiveApiKey(database.db, key);
    expect(stored?.name).toBe('ci');
    const listed = await run(['api-key', 'list']);
    expect(listed.output).toContain(`${stored!.id}  ${key.slice(0, 10)}…  ci`);
    expect(listed.output).not.toContain(key);
    expect((await run(['api-key', 'revoke', stored!.id])).code).toBe(0);
    expect(await findActiveApiKey(database.db, key)).toBeUndefined();
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
    expect(listed.output).toContain(`${delivered.email.id}  to maybe-got-it@example.com`);
    expect(listed.output).toContain(`${lost.email.id}  to maybe-not@example.com`);

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
});
