import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, createSecretBox, parseEnv, secretEnv } from './index.js';

describe('secret box', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);

  it('encrypts with the active key and decrypts with the recorded key id after rotation', () => {
    const before = createSecretBox(new Map([['k1', k1]]), 'k1');
    const stored = before.encrypt('smtp-pa55');
    expect(stored.keyId).toBe('k1');
    expect(stored.ciphertext).not.toContain('smtp-pa55');
    const after = createSecretBox(
      new Map([
        ['k1', k1],
        ['k2', k2],
      ]),
      'k2',
    );
    expect(after.decrypt(stored.ciphertext, stored.keyId)).toBe('smtp-pa55');
    expect(after.encrypt('x').keyId).toBe('k2');
  });

  it('refuses tampered ciphertext and unknown keys', () => {
    const box = createSecretBox(new Map([['k1', k1]]), 'k1');
    const { ciphertext } = box.encrypt('secret');
    const tampered = Buffer.from(ciphertext, 'base64');
    tampered[tampered.length - 1]! ^= 1;
    expect(() => box.decrypt(tampered.toString('base64'), 'k1')).toThrow();
    expect(() => box.decrypt(ciphertext, 'k9')).toThrow(/"k9" is not configured/);
  });

  it('validates OUTFLOW_SECRET_KEYS at start-up', () => {
    expect(() => parseEnv(secretEnv, { OUTFLOW_SECRET_KEYS: 'k1:c2hvcnQ=' })).toThrow(ConfigError);
    expect(() => parseEnv(secretEnv, { OUTFLOW_SECRET_KEYS: 'k1:c2hvcnQ=' })).toThrow(/must be 32 bytes/);
    const parsed = parseEnv(secretEnv, { OUTFLOW_SECRET_KEYS: `k1:${k1.toString('base64')}` });
    expect(parsed.OUTFLOW_SECRET_KEYS.get('k1')).toEqual(k1);
  });
});
