import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rootCertificates } from 'node:tls';
import { defaultSmtpPorts, smtpTargetEnv, type SmtpTargetPolicy } from '@outflow/smtp-target';
import { createTestCertificates, startSmtpSink, type SmtpSink, type TestCertificates } from '@outflow/stack';
import { composeMessage } from '../src/smtp/compose-message.js';
import {
  MailboxConnectionPool,
  trustingAuthorities,
  type PoolSettings,
  type SendError,
} from '../src/smtp/mailbox-connection-pool.js';
import { classifySmtpError } from '../src/smtp/smtp-failure.js';

/**
 * The sender as a hostile or careless mailbox setting would use it: credentials offered to a server whose
 * certificate does not verify, and SMTP targets inside the network the sender runs in.
 */
describe('the SMTP connection refuses what it must not do', () => {
  let certificates: TestCertificates;
  let tlsSink: SmtpSink;
  const development: SmtpTargetPolicy = { anyTarget: true, ports: new Set(), networks: [] };
  const production: SmtpTargetPolicy = { anyTarget: false, ports: new Set(defaultSmtpPorts), networks: [] };

  beforeAll(async () => {
    certificates = await createTestCertificates();
    tlsSink = await startSmtpSink({ starttls: { key: certificates.key, cert: certificates.cert } });
  });
  afterAll(async () => {
    await tlsSink?.stop();
  });

  const attempt = async (
    settings: Partial<PoolSettings> & Pick<PoolSettings, 'host' | 'port'>,
    to: string,
  ): Promise<{ result?: { response: string }; error?: SendError }> => {
    const pool = new MailboxConnectionPool({
      secure: false,
      size: 1,
      timeoutMs: 2_000,
      targets: development,
      ...settings,
    });
    try {
      const mail = await composeMessage({
        from: { address: 'box@outflow.test' },
        to,
        subject: 'hello',
        text: 'hi',
        messageId: `<${to}>`,
        headers: {},
      });
      return await pool.send(mail.envelope, mail.raw).then(
        (result) => ({ result }),
        (error: unknown) => ({ error: error as SendError }),
      );
    } finally {
      pool.close();
    }
  };

  it('sends no credentials to a STARTTLS server whose certificate no trusted authority signed', async () => {
    tlsSink.clear();
    const outcome = await attempt(
      { host: 'localhost', port: tlsSink.port, auth: { user: 'careful', pass: 'secret' } },
      'untrusted@example.com',
    );
    expect(outcome.error).toMatchObject({ originalCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(classifySmtpError(outcome.error)).toMatchObject({ kind: 'temporary', errorCode: 'ETLS' });
    expect(classifySmtpError(outcome.error).message).toMatch(
      /^no verified TLS .* neither its credentials nor the message were sent \(unable to verify the first certificate: UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
    );
    expect(tlsSink.logins).toEqual([]);
    expect(tlsSink.messages).toHaveLength(0);
  });

  it('logs in over STARTTLS once the authority is trusted (SMTP_CA_FILE), and never in clear', async () => {
    tlsSink.clear();
    const outcome = await attempt(
      {
        host: 'localhost',
        port: tlsSink.port,
        auth: { user: 'careful', pass: 'secret' },
        secureContext: trustingAuthorities([...rootCertificates, certificates.ca]),
      },
      'trusted@example.com',
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.result?.response).toMatch(/^250/);
    expect(tlsSink.logins).toEqual([{ user: 'careful', overTls: true }]);
    expect(tlsSink.messages.map((message) => message.to)).toEqual([['trusted@example.com']]);
  });

  it('checks the certificate against the host name the mailbox gives, not only the authority', async () => {
    // Signed by the same trusted authority, but for another name than the one connected to.
    const elsewhere = await createTestCertificates(['smtp.outflow.test']);
    const misnamed = await startSmtpSink({ starttls: { key: elsewhere.key, cert: elsewhere.cert } });
    try {
      const outcome = await attempt(
        {
          host: '127.0.0.1',
          port: misnamed.port,
          auth: { user: 'careful', pass: 'secret' },
          secureContext: trustingAuthorities([...rootCertificates, elsewhere.ca]),
        },
        'wrong-name@example.com',
      );
      expect(outcome.error).toMatchObject({ originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      expect(classifySmtpError(outcome.error)).toMatchObject({ kind: 'temporary', errorCode: 'ETLS' });
      expect(misnamed.logins).toEqual([]);
      expect(misnamed.messages).toHaveLength(0);
    } finally {
      await misnamed.stop();
    }
  });

  it.each([
    ['127.0.0.1', 2525, /^127\.0\.0\.1 is a loopback address/],
    ['localhost', 587, /^localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
    ['169.254.169.254', 25, /^169\.254\.169\.254 is a link-local address/],
    ['10.0.0.8', 587, /^10\.0\.0\.8 is a private network address/],
    ['93.184.215.14', 80, /^port 80 is not an SMTP port/],
  ])('connects nowhere when production policy refuses %s:%s', async (host, port, reason) => {
    const before = tlsSink.connections().peak;
    const outcome = await attempt({ host, port, targets: production }, 'internal@example.com');
    expect(outcome.error).toMatchObject({ code: 'ETARGET' });
    const failure = classifySmtpError(outcome.error);
    expect(failure).toMatchObject({ kind: 'temporary', errorCode: 'ETARGET', smtpCode: null });
    expect(failure.message.replace(/^no connection was made: /, '')).toMatch(reason);
    expect(tlsSink.connections().peak).toBe(before);
  });

  it('connects to a private relay the installation allows (SMTP_ALLOWED_NETWORKS, SMTP_ALLOWED_PORTS)', async () => {
    tlsSink.clear();
    const relay: SmtpTargetPolicy = {
      anyTarget: false,
      ports: new Set([tlsSink.port]),
      networks: smtpTargetEnv.SMTP_ALLOWED_NETWORKS.parse('127.0.0.1/32'),
    };
    const outcome = await attempt(
      {
        host: '127.0.0.1',
        port: tlsSink.port,
        targets: relay,
        secureContext: trustingAuthorities([...rootCertificates, certificates.ca]),
      },
      'relay@example.com',
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.result?.response).toMatch(/^250/);
  });
});
