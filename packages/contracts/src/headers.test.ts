import { describe, expect, it } from '@jest/globals';
import { decodeHeaders, encodeHeaders, InvalidHeadersError } from './headers.js';

describe('message headers', () => {
  it('round-trip through Kafka header bytes', () => {
    const encoded = encodeHeaders({
      messageId: 'm-1',
      attempt: 3,
      producedAt: 1_700_000_000_000,
    });
    const asBuffers = Object.fromEntries(Object.entries(encoded).map(([name, value]) => [name, Buffer.from(value)]));
    expect(decodeHeaders(asBuffers)).toEqual({
      messageId: 'm-1',
      attempt: 3,
      producedAt: 1_700_000_000_000,
    });
  });

  it('reject a message without an id or with a bad attempt count', () => {
    expect(() => decodeHeaders({})).toThrow(InvalidHeadersError);
    expect(() => decodeHeaders({ 'outflow-message-id': 'm', 'outflow-attempt': '0' })).toThrow(/outflow-attempt/);
  });
});
