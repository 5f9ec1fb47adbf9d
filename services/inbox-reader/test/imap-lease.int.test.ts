import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, seedEnrolledEmail, type TestDatabase } from '@outflow/db/testing';
import { LeaseLostError, leaseMailboxes, moveCheckpoint, releaseMailboxes } from '../src/imap/imap-lease.repository.js';

describe('IMAP leases and checkpoints', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  async function mailboxWithImap() {
    const { mailbox } = await seedEnrolledEmail(test.db);
    await test.db
      .insertInto('mailbox_imap')
      .values({
        mailbox_id: mailbox.id,
        workspace_id: mailbox.workspace_id,
        host: '127.0.0.1',
        port: 143,
        username: 'u',
      })
      .execute();
    return mailbox.id;
  }

  it('gives each mailbox to one replica, renews it for its holder, and hands it over once it lapses or is released', async () => {
    const id = await mailboxWithImap();
    const held = (rows: { mailbox_id: string }[]) => rows.map((row) => row.mailbox_id).filter((each) => each === id);

    expect(held(await leaseMailboxes(test.db, { owner: 'a', leaseMs: 60_000, max: 100 }))).toEqual([id]);
    expect(held(await leaseMailboxes(test.db, { owner: 'b', leaseMs: 60_000, max: 100 }))).toEqual([]);
    // Renewing is leasing again.
    expect(held(await leaseMailboxes(test.db, { owner: 'a', leaseMs: 60_000, max: 100 }))).toEqual([id]);

    await moveCheckpoint(test.db, { mailboxId: id, owner: 'a', uidvalidity: 7n, lastUid: 5n });
    // An older UID never moves the checkpoint back; a new UIDVALIDITY starts it again.
    await moveCheckpoint(test.db, { mailboxId: id, owner: 'a', uidvalidity: 7n, lastUid: 3n });
    const checkpoint = () =>
      test.db
        .selectFrom('mailbox_imap')
        .select(['inbox_uidvalidity', 'inbox_last_uid', 'lease_owner'])
        .where('mailbox_id', '=', id)
        .executeTakeFirstOrThrow();
    expect(await checkpoint()).toMatchObject({ inbox_uidvalidity: '7', inbox_last_uid: '5' });

    await releaseMailboxes(test.db, 'a', [id]);
    expect(held(await leaseMailboxes(test.db, { owner: 'b', leaseMs: 60_000, max: 100 }))).toEqual([id]);
    // The former holder can no longer move the checkpoint: what it was recording rolls back.
    await expect(
      test.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('suppressions')
          .values({ workspace_id: await workspaceOf(id), email: 'x@y.test', reason: 'manual' })
          .execute();
        await moveCheckpoint(trx, { mailboxId: id, owner: 'a', uidvalidity: 7n, lastUid: 9n });
      }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await test.db.selectFrom('suppressions').select('id').where('email', '=', 'x@y.test').execute()).toEqual([]);
    await moveCheckpoint(test.db, { mailboxId: id, owner: 'b', uidvalidity: 8n, lastUid: 2n });
    expect(await checkpoint()).toMatchObject({ inbox_uidvalidity: '8', inbox_last_uid: '2', lease_owner: 'b' });

    // A lease not renewed in time goes to whoever asks next.
    await test.db
      .updateTable('mailbox_imap')
      .set({ lease_expires_at: new Date(Date.now() - 1_000) })
      .where('mailbox_id', '=', id)
      .execute();
    expect(held(await leaseMailboxes(test.db, { owner: 'c', leaseMs: 60_000, max: 100 }))).toEqual([id]);
  });

  it('follows no disabled mailbox, and no more mailboxes than a replica may hold', async () => {
    const disabled = await mailboxWithImap();
    await test.db.updateTable('mailboxes').set({ status: 'disabled' }).where('id', '=', disabled).execute();
    const [first, second] = [await mailboxWithImap(), await mailboxWithImap()];
    const leased = await leaseMailboxes(test.db, { owner: 'd', leaseMs: 60_000, max: 1 });
    expect(leased).toHaveLength(1);
    expect([first, second]).toContain(leased[0]!.mailbox_id);
    const rest = await leaseMailboxes(test.db, { owner: 'e', leaseMs: 60_000, max: 100 });
    expect(rest.map((row) => row.mailbox_id)).not.toContain(disabled);
  });

  async function workspaceOf(mailboxId: string): Promise<string> {
    const row = await test.db
      .selectFrom('mailboxes')
      .select('workspace_id')
      .where('id', '=', mailboxId)
      .executeTakeFirstOrThrow();
    return row.workspace_id;
  }
});
