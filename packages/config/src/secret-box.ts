import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * AES-256-GCM for secrets stored in the database (SMTP passwords). Keys come from the environment as
 * `id:base64key` pairs; new secrets use the active key and every stored secret records its key id, so keys can
 * rotate: add a new key, make it active, run `outflow secrets rotate`, then drop the old key.
 *
 * Each secret is bound to where it is stored (`boundTo`, e.g. `mailboxes.smtp_password:<mailbox id>`) through the
 * authenticated data: a ciphertext copied to another row does not decrypt there, so write access to the table
 * cannot make one mailbox send with another's password.
 */
export interface SecretBox {
  activeKeyId: string;
  encrypt(plaintext: string, boundTo: string): { ciphertext: string; keyId: string };
  decrypt(ciphertext: string, keyId: string, boundTo: string): string;
  /** Whether a stored secret is under the active key and bound to its row; if not, `secrets rotate` redoes it. */
  isCurrent(ciphertext: string, keyId: string): boolean;
}

/** What a mailbox's SMTP password is bound to. */
export const smtpPasswordBinding = (mailboxId: string): string => `mailboxes.smtp_password:${mailboxId}`;

/** What a mailbox's IMAP password is bound to. */
export const imapPasswordBinding = (mailboxId: string): string => `mailbox_imap.password:${mailboxId}`;

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Secrets written before binding (no prefix) were authenticated with their key id alone. */
const BOUND = 'v2:';

const boundData = (keyId: string, boundTo: string) => Buffer.from(`outflow-secret/v2\0${keyId}\0${boundTo}`);

export function createSecretBox(keys: ReadonlyMap<string, Buffer>, activeKeyId: string): SecretBox {
  const active = keys.get(activeKeyId);
  if (!active) throw new Error(`the active secret key "${activeKeyId}" is not among the configured keys`);
  return {
    activeKeyId,
    encrypt(plaintext, boundTo) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', active, iv);
      cipher.setAAD(boundData(activeKeyId, boundTo));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const sealed = Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
      return { ciphertext: `${BOUND}${sealed}`, keyId: activeKeyId };
    },
    decrypt(ciphertext, keyId, boundTo) {
      const key = keys.get(keyId);
      if (!key) throw new Error(`secret key "${keyId}" is not configured (OUTFLOW_SECRET_KEYS); cannot decrypt`);
      const bound = ciphertext.startsWith(BOUND);
      const raw = Buffer.from(bound ? ciphertext.slice(BOUND.length) : ciphertext, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(bound ? boundData(keyId, boundTo) : Buffer.from(keyId));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        // GCM says only that authentication failed; name the usual causes instead of "unsupported state".
        throw new Error(
          `the secret for ${boundTo} does not decrypt with key "${keyId}": altered, copied from another row, ` +
            'or encrypted with another key under the same id',
        );
      }
    },
    isCurrent(ciphertext, keyId) {
      return keyId === activeKeyId && ciphertext.startsWith(BOUND);
    },
  };
}

/** OUTFLOW_SECRET_KEYS: `id:base64key[,id:base64key...]`, each key 32 bytes (e.g. `openssl rand -base64 32`). */
const secretKeys = z.string().transform((value, ctx) => {
  const keys = new Map<string, Buffer>();
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator);
    const key = Buffer.from(entry.slice(separator + 1), 'base64');
    if (separator <= 0 || !/^[A-Za-z0-9_-]+$/.test(id)) {
      ctx.addIssue({
        code: 'custom',
        message: 'each key must be id:base64key with a simple id (letters, digits, _ or -)',
      });
      return z.NEVER;
    }
    if (key.length !== 32) {
      ctx.addIssue({ code: 'custom', message: `key "${id}" must be 32 bytes of base64 (openssl rand -base64 32)` });
      return z.NEVER;
    }
    keys.set(id, key);
  }
  if (keys.size === 0) {
    ctx.addIssue({ code: 'custom', message: 'must hold at least one id:base64key' });
    return z.NEVER;
  }
  return keys;
});

/** The variables of a service that stores or reads secrets. */
export const secretEnv = {
  /** Required. Encryption keys for stored secrets: `id:base64key[,...]`. */
  OUTFLOW_SECRET_KEYS: secretKeys,
  /** Id of the key new secrets are encrypted with. Default: the first key listed. */
  OUTFLOW_SECRET_KEY_ID: z.string().optional(),
};

export function secretBoxFromEnv(config: {
  OUTFLOW_SECRET_KEYS: Map<string, Buffer>;
  OUTFLOW_SECRET_KEY_ID?: string | undefined;
}): SecretBox {
  const activeKeyId = config.OUTFLOW_SECRET_KEY_ID ?? [...config.OUTFLOW_SECRET_KEYS.keys()][0]!;
  return createSecretBox(config.OUTFLOW_SECRET_KEYS, activeKeyId);
}
