import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, seedEnrolledEmail, type TestDatabase } from '@outflow/db/testing';
import { testLogger } from '@outflow/stack';
import { createMetrics } from '@outflow/telemetry';
import { reconcileRetries } from '../src/retries/reconcile-retries.js';
import { createRetryDecisions } from '../src/retries/retry-metrics.js';

const logger = testLogger('retry-reconcile-test');
const delayFor = () => 60_000;
const decisions = createRetryDecisions(createMetrics('retry-reconcile-test'));
const deps = (test: TestDatabase) => ({ db: test.db, logger, decisions });

/** How many decisions the counter holds for these labels. */
async function counted(outcome: string, source: string): Promise<number> {
  const { values } = await decisions.get();
  return values.find((value) => value.labels['outcome'] === outcome && value.labels['source'] === source)?.value ?? 0;
}

/** An email whose send failed (as the sender records it) and whose email-retries event never came. */
async function seedFailedSend(test: TestDatabase, kind: 'temporary' | 'permanent') {
  const seeded = await seedEnrolledEmail(test.db);
  await test.db
    .updateTable('email_queues')
    .set({ status: 'retry_pending', claim_token: randomUUID(), failure_kind: kind, error_code: 'SMTP_451' })
    .where('id', '=', seeded.email.id)
    .execute();
  return seeded;
}

const emailState = (test: TestDatabase, id: string) =>
  test.db
    .selectFrom('email_queues')
    .select(['status', 'retry_count', 'claim_token', 'failure_kind'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

describe('retry reconciliation', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('reschedules a temporary failure whose event was lost, once', async () => {
    const { email } = await seedFailedSend(test, 'temporary');
    // Failed in an earlier transaction, so "older than 0 ms" holds without waiting.
    const before = await counted('rescheduled', 'reconciled');
    expect(await reconcileRetries(deps(test), { afterMs: 0, delayFor })).toBeGreaterThan(0);
    expect(await counted('rescheduled', 'reconciled')).toBeGreaterThan(before);
    expect(await emailState(test, email.id)).toEqual({
      status: 'scheduled',
      retry_count: 1,
      claim_token: null,
      failure_kind: null,
    });
    expect(await reconcileRetries(deps(test), { afterMs: 0, delayFor })).toBe(0);
  });

  it('fails a permanent failure at once and bounces the enrollment', async () => {
    const { email, enrollment } = await seedFailedSend(test, 'permanent');
    await reconcileRetries(deps(test), { afterMs: 0, delayFor });
    expect((await emailState(test, email.id)).status).toBe('permanent_failure');
    const row = await test.db
      .selectFrom('sequence_contacts')
      .select('status')
      .where('id', '=', enrollment.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('bounced');
  });

  it('leaves alone a failure still within its grace period', async () => {
    const { email } = await seedFailedSend(test, 'temporary');
    await reconcileRetries(deps(test), { afterMs: 3_600_000, delayFor });
    expect((await emailState(test, email.id)).status).toBe('retry_pending');
  });
});
