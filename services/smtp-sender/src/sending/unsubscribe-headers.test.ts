import { describe, expect, it } from '@jest/globals';
import { unsubscribeTokens } from '@outflow/config';
import { unsubscribeHeaders } from './unsubscribe-headers.js';

const tokens = unsubscribeTokens(new Map([['k1', Buffer.alloc(32, 3)]]), 'k1');
const recipient = {
  workspaceId: '00000000-0000-0000-0000-000000000001',
  contactId: '0193a4b2-77c1-7d2e-9f10-3c5d8e2a1b47',
  mailboxEmail: 'sales@acme.test',
};

describe('unsubscribe headers', () => {
  it('offer the signed one-click link and a mailto, with the one-click POST header', () => {
    const headers = unsubscribeHeaders({ tokens, publicUrl: 'https://outflow.acme.test/' }, recipient);
    const link =
      /^<https:\/\/outflow\.acme\.test\/u\/([^>]+)>, <mailto:sales@acme\.test\?subject=unsubscribe%20([^>]+)>$/.exec(
        headers['List-Unsubscribe']!,
      );
    expect(tokens.read(link![1]!)).toEqual({ workspaceId: recipient.workspaceId, contactId: recipient.contactId });
    // The mailto's subject names the same contact, for the inbox reader.
    expect(link![2]).toBe(link![1]);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  it('offer only the mailto without a public URL (no one-click: nothing to POST to)', () => {
    expect(unsubscribeHeaders({ tokens, publicUrl: undefined }, recipient)).toEqual({
      'List-Unsubscribe': `<mailto:sales@acme.test?subject=unsubscribe%20${tokens.make(recipient)}>`,
    });
  });
});
