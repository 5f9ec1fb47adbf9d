import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Tokens for links anyone may hold (the unsubscribe link in every email): the data in the clear and an HMAC-SHA256
 * over it (128 bits kept), under a key derived for one purpose (HKDF) from a key of OUTFLOW_SECRET_KEYS. The token
 * names its key id, so keys rotate as secrets do: new tokens use the active key, and a token made under a key
 * that is still configured keeps verifying (links in mail sent months ago keep working until that key is dropped).
 */
export interface TokenSigner {
  sign(data: Buffer): string;
  /** The data, or undefined for a token altered, made for another purpose, or under a key no longer configured. */
  verify(token: string): Buffer | undefined;
}

const MAC_BYTES = 16;

export function createTokenSigner(
  keys: ReadonlyMap<string, Buffer>,
  activeKeyId: string,
  purpose: string,
): TokenSigner {
  const derived = new Map(
    [...keys].map(([id, key]) => [
      id,
      Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `outflow-token/${purpose}`, 32)),
    ]),
  );
  if (!derived.has(activeKeyId))
    throw new Error(`the active secret key "${activeKeyId}" is not among the configured keys`);
  const macOf = (keyId: string, data: Buffer) =>
    createHmac('sha256', derived.get(keyId)!).update(`${keyId}.`).update(data).digest().subarray(0, MAC_BYTES);
  return {
    sign(data) {
      return `${activeKeyId}.${data.toString('base64url')}.${macOf(activeKeyId, data).toString('base64url')}`;
    },
    verify(token) {
      const [keyId, encoded, mac, ...rest] = token.split('.');
      if (rest.length > 0 || !keyId || !encoded || !mac || !derived.has(keyId)) return undefined;
      const data = Buffer.from(encoded, 'base64url');
      const given = Buffer.from(mac, 'base64url');
      // base64url decoding skips what it cannot read: only the canonical spelling of the data and MAC counts.
      if (data.toString('base64url') !== encoded || given.toString('base64url') !== mac) return undefined;
      const expected = macOf(keyId, data);
      return given.length === expected.length && timingSafeEqual(given, expected) ? data : undefined;
    },
  };
}

const uuidBytes = (id: string) => Buffer.from(id.replaceAll('-', ''), 'hex');
const uuidOf = (bytes: Buffer) => bytes.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

/** The unsubscribe link's token: which contact of which workspace asked, signed so no one can make another's. */
export interface UnsubscribeTokens {
  make(recipient: { workspaceId: string; contactId: string }): string;
  read(token: string): { workspaceId: string; contactId: string } | undefined;
}

export function unsubscribeTokens(keys: ReadonlyMap<string, Buffer>, activeKeyId: string): UnsubscribeTokens {
  const signer = createTokenSigner(keys, activeKeyId, 'unsubscribe/v1');
  return {
    make: ({ workspaceId, contactId }) => signer.sign(Buffer.concat([uuidBytes(workspaceId), uuidBytes(contactId)])),
    read(token) {
      const data = signer.verify(token);
      if (data?.length !== 32) return undefined;
      return { workspaceId: uuidOf(data.subarray(0, 16)), contactId: uuidOf(data.subarray(16)) };
    },
  };
}
