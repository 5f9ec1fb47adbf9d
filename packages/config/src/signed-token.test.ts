import { describe, expect, it } from '@jest/globals';
import { createTokenSigner, unsubscribeTokens } from './signed-token.js';

const keys = new Map([
  ['k1', Buffer.alloc(32, 1)],
  ['k2', Buffer.alloc(32, 2)],
]);
const recipient = {
  workspaceId: '00000000-0000-0000-0000-000000000001',
  contactId: '0193a4b2-77c1-7d2e-9f10-3c5d8e2a1b47',
};

describe('signed tokens', () => {
  it('reads back what it made, under the active key', () => {
    const tokens = unsubscribeTokens(keys, 'k2');
    const token = tokens.make(recipient);
    expect(token).toMatch(/^k2\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    expect(tokens.read(token)).toEqual(recipient);
  });

  it('keeps reading a token made under an earlier key while that key is configured, and not after', () => {
    const old = unsubscribeTokens(keys, 'k1').make(recipient);
    expect(unsubscribeTokens(keys, 'k2').read(old)).toEqual(recipient);
    expect(unsubscribeTokens(new Map([['k2', keys.get('k2')!]]), 'k2').read(old)).toBeUndefined();
  });

  it('refuses a token altered anywhere, relabelled to another key, or made for another purpose', () => {
    const tokens = unsubscribeTokens(keys, 'k1');
    const token = tokens.make(recipient);
    const [keyId, data, mac] = token.split('.') as [string, string, string];
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    for (let at = 0; at < data.length; at += 1)
      expect(tokens.read(`${keyId}.${flip(data, at)}.${mac}`)).toBeUndefined();
    for (let at = 0; at < mac.length; at += 1) expect(tokens.read(`${keyId}.${data}.${flip(mac, at)}`)).toBeUndefined();
    expect(tokens.read(`k2.${data}.${mac}`)).toBeUndefined();
    expect(tokens.read(`k9.${data}.${mac}`)).toBeUndefined();
    expect(tokens.read(`${token}.more`)).toBeUndefined();
    expect(tokens.read('')).toBeUndefined();
    const other = createTokenSigner(keys, 'k1', 'another-purpose').sign(Buffer.from(data, 'base64url'));
    expect(tokens.read(other)).toBeUndefined();
  });
});
