import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ImapFlow } from 'imapflow';
import { startImapServer, type ImapServer } from '../src/imap-server.js';

describe('the test IMAP server (Dovecot)', () => {
  let server: ImapServer;
  beforeAll(async () => {
    server = await startImapServer();
    await server.addUser('sales@acme.test', 'secret-1');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('takes mail into INBOX and Sent and serves it to a client that logs in', async () => {
    const inboxUid = await server.deliver('sales@acme.test', 'Subject: one\r\nMessage-ID: <1@x.test>\r\n\r\nhi\r\n');
    await server.deliver('sales@acme.test', 'Subject: two\r\nMessage-ID: <2@acme.test>\r\n\r\nsent\r\n', 'Sent');
    const client = new ImapFlow({
      host: server.host,
      port: server.port,
      secure: false,
      auth: { user: 'sales@acme.test', pass: 'secret-1' },
      logger: false,
    });
    await client.connect();
    try {
      const folders = await client.list();
      expect(folders.find((folder) => folder.specialUse === '\\Sent')?.path).toBe('Sent');
      const inbox = await client.getMailboxLock('INBOX');
      try {
        const message = await client.fetchOne(String(inboxUid), { envelope: true }, { uid: true });
        expect(message && message.envelope?.messageId).toBe('<1@x.test>');
      } finally {
        inbox.release();
      }
    } finally {
      await client.logout();
    }
  });

  it('refuses a wrong password', async () => {
    const client = new ImapFlow({
      host: server.host,
      port: server.port,
      secure: false,
      auth: { user: 'sales@acme.test', pass: 'wrong' },
      logger: false,
    });
    await expect(client.connect()).rejects.toThrow();
  });
});
