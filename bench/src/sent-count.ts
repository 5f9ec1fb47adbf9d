import type { Database } from '@outflow/db';

/**
 * The sequence's emails marked sent, once `expected` of them are or 30 s passed: the sink sees a message before
 * its sender commits it as sent, so a send still being recorded is not counted as missing from the database.
 */
export async function waitForSentCount(db: Database, sequenceId: string, expected: number): Promise<number> {
  const count = async () =>
    Number(
      (
        await db
          .selectFrom('email_queues')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('sequence_id', '=', sequenceId)
          .where('status', '=', 'sent')
          .executeTakeFirstOrThrow()
      ).n,
    );
  let sent = await count();
  for (const deadline = Date.now() + 30_000; sent < expected && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    sent = await count();
  }
  return sent;
}
