import { describe, expect, it } from '@jest/globals';
import { describeImapFailure } from './imap-connection.js';

const mailbox = { host: 'imap.acme.test', port: 993 };

describe('describeImapFailure', () => {
  it('says a refused login is the credentials, with the server words', () => {
    const refused = Object.assign(new Error('Command failed'), {
      authenticationFailed: true,
      response: '[AUTHENTICATIONFAILED] Authentication failed.\r\n',
    });
    expect(describeImapFailure(refused, mailbox)).toBe(
      'the IMAP server refused the login (check the user and password): [AUTHENTICATIONFAILED] Authentication failed.',
    );
  });

  it('says an unreachable server by host and port', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 192.0.2.1:993'), { code: 'ECONNREFUSED' });
    expect(describeImapFailure(refused, mailbox)).toBe('cannot reach imap.acme.test:993 (ECONNREFUSED)');
  });

  it('keeps anything else readable and bounded', () => {
    const odd = Object.assign(new Error(`odd\u0000${'x'.repeat(400)}`), { code: 'GREETING_TIMEOUT' });
    const described = describeImapFailure(odd, mailbox);
    expect(described).toMatch(/^odd x+ \(GREETING_TIMEOUT\)$/);
    expect(described.length).toBeLessThan(330);
  });
});
