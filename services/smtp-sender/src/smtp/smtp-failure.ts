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
  /** The socket's own code where nodemailer's is ESOCKET: UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED... */
  originalCode?: string;
  /** Set by MailboxConnectionPool: the body was sent (the server had answered DATA with 354). */
  afterData?: boolean;
}

/** OpenSSL's certificate verification codes and Node's TLS and SSL error codes. */
const TLS_FAILURE = /CERT|SELF_SIGNED|^UNABLE_TO_|^ERR_TLS_|^ERR_SSL_/;

/** No TLS (STARTTLS required but not offered) or TLS that failed: the handshake, or the certificate's check. */
function isTlsFailure(failure: NodemailerError): boolean {
  return failure.code === 'ETLS' || (failure.originalCode !== undefined && TLS_FAILURE.test(failure.originalCode));
}

const SMTP_REPLY = /^[2-5][0-9]{2}(?:[ -]|$)/;
const notPrintable = /[^\x20-\x7e]+/g;

/**
 * The text an email's error keeps, shown by the API. An SMTP reply is kept (printable ASCII, at most 1 000
 * characters). Anything else a remote sent is not: a mailbox pointed at a web server or a metadata service
 * would otherwise hand its bytes (`HTTP/1.1 400 Bad Request`, headers, a body) to whoever reads the email.
 * nodemailer's own messages are kept without the remote text it appends after `response=`.
 */
function describeFailure(failure: NodemailerError, error: unknown): string {
  const printable = (text: string) => text.replace(notPrintable, ' ').trim().slice(0, 1_000);
  if (typeof failure.response === 'string' && failure.response !== '') {
    return SMTP_REPLY.test(failure.response)
      ? printable(failure.response)
      : 'the server did not answer as an SMTP server does (its reply is not shown)';
  }
  return printable((failure.message ?? String(error)).replace(/\s*response=[\s\S]*$/, ''));
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
  const message = describeFailure(failure, error);
  if (failure.code === 'ETARGET') {
    // The mailbox's host resolves to an address (or uses a port) this installation refuses: saved before the
    // policy, or its DNS changed since. Its settings are wrong, not the recipient: retried like ETLS.
    return { kind: 'temporary', smtpCode: null, errorCode: 'ETARGET', message: `no connection was made: ${message}` };
  }
  if (isTlsFailure(failure)) {
    // The mailbox's server offers no usable TLS (no STARTTLS, or a certificate that does not verify): its
    // settings are wrong, not the recipient. Retried, as an authentication failure is, and said plainly.
    const reason = failure.originalCode ? `${message}: ${failure.originalCode}` : message;
    return {
      kind: 'temporary',
      smtpCode: code,
      errorCode: 'ETLS',
      message:
        `no verified TLS with the mailbox's SMTP server, so neither its credentials nor the message were sent ` +
        `(${reason}); use a port with TLS (smtp_secure) or STARTTLS, and a certificate that verifies ` +
        '(a private authority is trusted through SMTP_CA_FILE)',
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
