import { parseEnv, secretBoxFromEnv, secretEnv, smtpPasswordBinding, type SecretBox } from '@outflow/config';
import type { Command } from '@commander-js/extra-typings';
import type { Database } from '@outflow/db';
import type { CliContext } from './cli-context.js';

/** Rows read and rewritten per round: each round is one short statement per row, no long transaction. */
const batchSize = 100;

interface RotationResult {
  rotated: number;
  /** Changed by someone else between the read and the write (a new password saved): already current. */
  skipped: number;
  /** Could not be decrypted: their mailbox id and why. */
  failed: Array<{ mailboxId: string; reason: string }>;
}

/**
 * Re-encrypts each SMTP password not yet under the active key or not yet bound to its mailbox. Safe to run while
 * the services run and to run again: a row is rewritten only if it still holds what was read, and a current row
 * is left alone. The sender reads the old and the new form alike, so no send waits on it.
 */
async function rotateSecrets(db: Database, box: SecretBox, dryRun: boolean): Promise<RotationResult> {
  const result: RotationResult = { rotated: 0, skipped: 0, failed: [] };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await db
      .selectFrom('mailboxes')
      .select(['id', 'encrypted_smtp_password', 'smtp_password_key_id'])
      .where('encrypted_smtp_password', 'is not', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return result;
    after = rows.at(-1)!.id;
    for (const row of rows) {
      const ciphertext = row.encrypted_smtp_password!;
      const keyId = row.smtp_password_key_id ?? '';
      if (box.isCurrent(ciphertext, keyId)) continue;
      let plaintext: string;
      try {
        plaintext = box.decrypt(ciphertext, keyId, smtpPasswordBinding(row.id));
      } catch (error) {
        result.failed.push({ mailboxId: row.id, reason: (error as Error).message });
        continue;
      }
      if (dryRun) {
        result.rotated += 1;
        continue;
      }
      const sealed = box.encrypt(plaintext, smtpPasswordBinding(row.id));
      const written = await db
        .updateTable('mailboxes')
        .set({ encrypted_smtp_password: sealed.ciphertext, smtp_password_key_id: sealed.keyId })
        .where('id', '=', row.id)
        .where('encrypted_smtp_password', '=', ciphertext)
        .executeTakeFirst();
      if (written.numUpdatedRows > 0n) result.rotated += 1;
      else result.skipped += 1;
    }
  }
}

export function registerSecretsCommand(program: Command, context: CliContext): void {
  const { out } = context;
  program
    .command('secrets')
    .description('The encryption of stored SMTP passwords.')
    .command('rotate')
    .description(
      'Re-encrypt every stored SMTP password with the active key (OUTFLOW_SECRET_KEY_ID, else the first of ' +
        'OUTFLOW_SECRET_KEYS), bound to its mailbox. Needs OUTFLOW_SECRET_KEYS holding the old keys and the new ' +
        'one. Safe while the services run, and to run again.',
    )
    .option('--dry-run', 'only count what would be re-encrypted')
    .action(async ({ dryRun = false }) => {
      const box = secretBoxFromEnv(parseEnv(secretEnv));
      const result = await rotateSecrets(await context.database(), box, dryRun);
      for (const { mailboxId, reason } of result.failed) out.info(`mailbox ${mailboxId}: ${reason}`);
      const verb = dryRun ? 'would re-encrypt' : 're-encrypted';
      out.result(
        `${verb} ${result.rotated} SMTP password(s) with key "${box.activeKeyId}"` +
          (result.skipped > 0 ? `; ${result.skipped} changed meanwhile (already current)` : '') +
          (result.failed.length > 0 ? `; ${result.failed.length} could not be decrypted (listed above)` : ''),
      );
      if (result.failed.length > 0) {
        // Exit 1: the command ran and the others were rotated, but these need a person.
        throw new Error(
          `${result.failed.length} password(s) could not be decrypted: keep their keys in OUTFLOW_SECRET_KEYS, or ` +
            "save those mailboxes' passwords again through the API",
        );
      }
    });
}
