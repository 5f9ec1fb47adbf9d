export interface SmtpFailure {
  /** uncertain: the whole message was handed over and no reply came (a drop or stall after DATA). */
  kind: 'temporary' | 'permanent' | 'uncertain';
  /** The server's reply code, when it replied. */
  smtpCode: number | null;
  /** The reply code as text, or nodemailer's transport code (ETIMEDOUT, ECONNECTION, ...). */
  errorCode: string;
  message: string;
}

interface NodemailerError extends Error {
  responseCode?: number;
  response?: string;
  code?: string;
  /** Set by MailboxConnectionPool: the body was sent (the server had answered DATA with 354). */
  afterData?: boolean;
}

/**
 * What an SMTP error means for the email. A 5xx reply is permanent (the server refused this message or
 * recipient: retrying cannot help); a 4xx reply, a timeout or a broken connection is temporary. An
 * authentication failure is the mailbox's problem, not the recipient's, so it is retried rather than bouncing
 * the contact. No reply at all after the body was sent (`afterData`) is uncertain: the server may have accepted
 * the message, so sending it again could deliver it twice.
 */
export function classifySmtpError(error: unknown): SmtpFailure {
  const failure = error as NodemailerError;
  const code = typeof failure.responseCode === 'number' ? failure.responseCode : null;
  const message = (failure.response ?? failure.message ?? String(error)).slice(0, 2_000);
  if (failure.code === 'ETLS') {
    // The mailbox's server offers no usable TLS (no STARTTLS, or a certificate that does not verify): its
    // settings are wrong, not the recipient. Retried, as an authentication failure is, and said plainly.
    return {
      kind: 'temporary',
      smtpCode: code,
      errorCode: 'ETLS',
      message:
        `no TLS with the mailbox's SMTP server, so its credentials were not sent (${message}); ` +
        'use a port with TLS (smtp_secure) or STARTTLS and a certificate that verifies',
    };
  }
  if (code !== null && code >= 500 && code <= 599 && failure.code !== 'EAUTH') {
    return { kind: 'permanent', smtpCode: code, errorCode: String(code), message };
  }
  if (code === null && failure.afterData === true) {
    return { kind: 'uncertain', smtpCode: null, errorCode: failure.code ?? 'SMTP_ERROR', message };
  }
  return {
    kind: 'temporary',
    smtpCode: code,
    errorCode: code !== null ? String(code) : (failure.code ?? 'SMTP_ERROR'),
    message,
  };
}
