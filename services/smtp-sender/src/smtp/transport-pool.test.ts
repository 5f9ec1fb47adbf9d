import { describe, expect, it } from '@jest/globals';
import { createSecretBox, smtpPasswordBinding } from '@outflow/config';
import { createTransportPool, type MailboxSmtpSettings } from './transport-pool.js';

describe('createTransportPool', () => {
  const secrets = createSecretBox(new Map([['k1', Buffer.alloc(32, 3)]]), 'k1');
  const transports = createTransportPool({
    secrets,
    poolSize: 1,
    maxConnections: 1,
    timeoutMs: 1_000,
    mode: 'production',
    targets: { anyTarget: false, ports: new Set([587]), networks: [] },
  });
  const mailbox = (id: string, password: { ciphertext: string; keyId: string }): MailboxSmtpSettings => ({
    id,
    smtp_host: '192.0.2.25',
    smtp_port: 587,
    smtp_secure: false,
    smtp_allow_insecure_auth: false,
    smtp_username: 'user',
    encrypted_smtp_password: password.ciphertext,
    smtp_password_key_id: password.keyId,
    updated_at: new Date(0),
  });

  it("refuses a password copied from another mailbox's row (ESECRET), and takes the mailbox's own", () => {
    const ownA = secrets.encrypt('password-of-a', smtpPasswordBinding('a'));
    const failure = (() => {
      try {
        transports.get(mailbox('b', ownA));
      } catch (error) {
        return error as Error & { code?: string };
      }
      throw new Error('expected the copied password to be refused');
    })();
    expect(failure.code).toBe('ESECRET');
    expect(failure.message).toMatch(
      /^the mailbox's SMTP password cannot be used: the secret for mailboxes\.smtp_password:b/,
    );
    expect(transports.get(mailbox('a', ownA))).toBeDefined();
    transports.closeAll();
  });
});
