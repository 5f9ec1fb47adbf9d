import { imapPasswordBinding, type OutflowMode, type SecretBox } from '@outflow/config';
import { resolveSmtpTarget, type SmtpTargetPolicy } from '@outflow/smtp-target';
import { ImapFlow } from 'imapflow';
import type { LeasedMailbox } from './imap-lease.repository.js';

export interface ImapConnectOptions {
  secrets: SecretBox;
  /** Where IMAP connections may go (the SMTP policy's networks on IMAP's ports). */
  targets: SmtpTargetPolicy;
  mode: OutflowMode;
  timeoutMs: number;
}

/**
 * Opens an IMAP session for a mailbox. The host is checked against the installation's policy after DNS and the
 * connection goes to the address checked (a name that resolves elsewhere a moment later is not followed), with
 * TLS verified against the host name. Outside development mode the password never travels in clear: without
 * implicit TLS, STARTTLS is required.
 */
export async function openImapSession(mailbox: LeasedMailbox, options: ImapConnectOptions): Promise<ImapFlow> {
  const target = await resolveSmtpTarget(mailbox.host, mailbox.port, options.targets);
  const password =
    mailbox.encrypted_password && mailbox.password_key_id
      ? options.secrets.decrypt(
          mailbox.encrypted_password,
          mailbox.password_key_id,
          imapPasswordBinding(mailbox.mailbox_id),
        )
      : '';
  const client = new ImapFlow({
    host: target.address,
    port: mailbox.port,
    secure: mailbox.tls,
    ...(mailbox.tls || options.mode === 'development' ? {} : { doSTARTTLS: true }),
    servername: mailbox.host,
    auth: { user: mailbox.username, pass: password },
    logger: false,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: Math.max(options.timeoutMs, 5 * 60_000),
    // The follower starts IDLE itself once it has read everything (imapflow's own waits 15 s after a command).
    disableAutoIdle: true,
    // An IDLE ends after this: some servers drop one they consider stale without a word.
    maxIdleTime: 5 * 60_000,
  });
  // A dropped connection is noticed by the follower's wait (close); the error event must have a listener.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

interface ImapFlowFailure {
  message?: string;
  code?: string;
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  /** The server's text (a failed command's NO or BAD). */
  response?: string;
}

const notPrintable = /[^\x20-\x7e]+/g;

/**
 * What the mailbox shows as the reader's last error: said for the person who must fix it (the password, the host),
 * with the server's own words where it gave any (printable, bounded).
 */
export function describeImapFailure(error: unknown, mailbox: Pick<LeasedMailbox, 'host' | 'port'>): string {
  const failure = (error ?? {}) as ImapFlowFailure;
  const serverText = typeof failure.response === 'string' ? failure.response.replace(notPrintable, ' ').trim() : '';
  const said = serverText ? `: ${serverText.slice(0, 300)}` : '';
  if (failure.authenticationFailed) return `the IMAP server refused the login (check the user and password)${said}`;
  if (failure.code && /^E[A-Z]+$/.test(failure.code) && failure.code !== 'ETHROTTLE') {
    return `cannot reach ${mailbox.host}:${mailbox.port} (${failure.code})`;
  }
  const message = (failure.message ?? String(error)).replace(notPrintable, ' ').slice(0, 300);
  return `${message}${failure.code ? ` (${failure.code})` : ''}${said}`;
}
