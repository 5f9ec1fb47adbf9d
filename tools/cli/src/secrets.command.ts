import {
  imapPasswordBinding,
  parseEnv,
  secretBoxFromEnv,
  secretEnv,
  smtpPasswordBinding,
  type SecretBox,
} from '@outflow/config';
import { sql } from 'kysely';
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

/** Where passwords are stored: each column pair, the row's id and what its ciphertext is bound to. */
const passwordStores = [
  {
    what: 'SMTP',
    table: 'mailboxes',
    id: 'id',
    ciphertext: 'encrypted_smtp_password',
    keyId: 'smtp_password_key_id',
    binding: smtpPasswordBinding,
  },
  {
    what: 'IMAP',
    table: 'mailbox_imap',
    id: 'mailbox_id',
    ciphertext: 'encrypted_password',
    keyId: 'password_key_id',
    binding: imapPasswordBinding,
  },
] as const;

type PasswordStore = (typeof passwordStores)[number];

/**
 * Re-encrypts each stored password (SMTP and IMAP) not yet under the active key or not yet bound to its mailbox.
 * Safe to run while the services run and to run again: a row is rewritten only if it still holds what was read,
 * and a current row is left alone. The services read the old and the new form alike, so nothing waits on it.
 */
async function rotateSecrets(db: Database, box: SecretBox, dryRun: boolean): Promise<RotationResult> {
  const result: RotationResult = { rotated: 0, skipped: 0, failed: [] };
  for (const store of passwordStores) await rotateStore(db, box, store, dryRun, result);
  return result;
}

async function rotateStore(
  db: Database,
  box: SecretBox,
  store: PasswordStore,
  dryRun: boolean,
  result: RotationResult,
): Promise<void> {
  const [table, id, cipher, key] = [
    sql.table(store.table),
    sql.ref(store.id),
    sql.ref(store.ciphertext),
    sql.ref(store.keyId),
  ];
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await sql<{ id: string; ciphertext: string; key_id: string | null }>`
      select ${id} as id, ${cipher} as ciphertext, ${key} as key_id from ${table}
      where ${cipher} is not null and ${id} > ${after}::uuid order by ${id} limit ${batchSize}
    `.execute(db);
    if (rows.length === 0) return;
    after = rows.at(-1)!.id;
    for (const row of rows) {
      const keyId = row.key_id ?? '';
      if (box.isCurrent(row.ciphertext, keyId)) continue;
      let plaintext: string;
      try {
        plaintext = box.decrypt(row.ciphertext, keyId, store.binding(row.id));
      } catch (error) {
        result.failed.push({ mailboxId: `${row.id} (${store.what})`, reason: (error as Error).message });
        continue;
      }
      if (dryRun) {
        result.rotated += 1;
        continue;
      }
      const sealed = box.encrypt(plaintext, store.binding(row.id));
      const written = await sql`
        update ${table} set ${cipher} = ${sealed.ciphertext}, ${key} = ${sealed.keyId}
        where ${id} = ${row.id}::uuid and ${cipher} = ${row.ciphertext}
      `.execute(db);
      if ((written.numAffectedRows ?? 0n) > 0n) result.rotated += 1;
      else result.skipped += 1;
    }
  }
}

export function registerSecretsCommand(program: Command, context: CliContext): void {
  const { out } = context;
  program
    .command('secrets')
    .description('The encryption of stored SMTP and IMAP passwords.')
    .command('rotate')
    .description(
      'Re-encrypt every stored SMTP and IMAP password with the active key (OUTFLOW_SECRET_KEY_ID, else the first of ' +
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
        `${verb} ${result.rotated} password(s) with key "${box.activeKeyId}"` +
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
