import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, createSecretBox, parseEnv, secretEnv } from './index.js';

describe('secret box', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);

  it('encrypts with the active key and decrypts with the recorded key id after rotation', () => {
    const before = createSecretBox(new Map([['k1', k1]]), 'k1');
    const stored = before.encrypt('smtp-pa55', 'mailboxes.smtp_password:m1');
    expect(stored.keyId).toBe('k1');
    expect(stored.ciphertext).not.toContain('smtp-pa55');
    const after = createSecretBox(
      new Map([
        ['k1', k1],
        ['k2', k2],
      ]),
      'k2',
    );
    expect(after.decrypt(stored.ciphertext, stored.keyId, 'mailboxes.smtp_password:m1')).toBe('smtp-pa55');
    expect(after.isCurrent(stored.ciphertext, stored.keyId)).toBe(false);
    const rotated = after.encrypt('smtp-pa55', 'mailboxes.smtp_password:m1');
    expect(rotated.keyId).toBe('k2');
    expect(after.isCurrent(rotated.ciphertext, rotated.keyId)).toBe(true);
  });

  it('refuses tampered ciphertext and unknown keys', () => {
    const box = createSecretBox(new Map([['k1', k1]]), 'k1');
    const { ciphertext } = box.encrypt('secret', 'row:1');
    const tampered = Buffer.from(ciphertext.slice(3), 'base64');
    tampered[tampered.length - 1]! ^= 1;
    expect(() => box.decrypt(`v2:${tampered.toString('base64')}`, 'k1', 'row:1')).toThrow(/does not decrypt/);
    expect(() => box.decrypt(ciphertext, 'k9', 'row:1')).toThrow(/"k9" is not configured/);
  });

  it('binds a secret to its row: copied to another, it does not decrypt', () => {
    const box = createSecretBox(new Map([['k1', k1]]), 'k1');
    const { ciphertext, keyId } = box.encrypt('mailbox-a-password', 'mailboxes.smtp_password:a');
    expect(() => box.decrypt(ciphertext, keyId, 'mailboxes.smtp_password:b')).toThrow(
      'the secret for mailboxes.smtp_password:b does not decrypt with key "k1": altered, copied from another row, ' +
        'or encrypted with another key under the same id',
    );
    expect(box.decrypt(ciphertext, keyId, 'mailboxes.smtp_password:a')).toBe('mailbox-a-password');
  });

  it('still reads secrets written before binding (key id as the only authenticated data), as not current', () => {
    // The format before binding, written as the earlier code did.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', k1, iv);
    cipher.setAAD(Buffer.from('k1'));
    const data = Buffer.concat([cipher.update('legacy-pw', 'utf8'), cipher.final()]);
    const legacy = Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
    const box = createSecretBox(new Map([['k1', k1]]), 'k1');
    expect(box.decrypt(legacy, 'k1', 'mailboxes.smtp_password:any')).toBe('legacy-pw');
    expect(box.isCurrent(legacy, 'k1')).toBe(false);
  });

  it('validates OUTFLOW_SECRET_KEYS at start-up', () => {
    expect(() => parseEnv(secretEnv, { OUTFLOW_SECRET_KEYS: 'k1:c2hvcnQ=' })).toThrow(ConfigError);
    expect(() => parseEnv(secretEnv, { OUTFLOW_SECRET_KEYS: 'k1:c2hvcnQ=' })).toThrow(/must be 32 bytes/);
    const parsed = parseEnv(secretEnv, { OUTFLOW_SECRET_KEYS: `k1:${k1.toString('base64')}` });
    expect(parsed.OUTFLOW_SECRET_KEYS.get('k1')).toEqual(k1);
  });
});
