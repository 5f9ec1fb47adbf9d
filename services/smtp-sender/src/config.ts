import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { httpUrl, modeEnv, positiveInt, secretEnv, z } from '@outflow/config';
import { smtpTargetEnv } from '@outflow/smtp-target';

/** A PEM file of CA certificates, read once at start: Node's bundled roots and these. */
const caFile = z.string().transform((path, ctx) => {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${(error as { code?: string }).code ?? error})` });
    return z.NEVER;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    ctx.addIssue({ code: 'custom', message: `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` });
    return z.NEVER;
  }
  return [...rootCertificates, pem];
});

export const smtpSenderEnv = {
  ...secretEnv,
  ...modeEnv,
  ...smtpTargetEnv,
  /**
   * A PEM file of certificate authorities the sender trusts for SMTP TLS besides Node's bundled roots: a company
   * CA that signed an internal relay's certificate. Default none.
   */
  SMTP_CA_FILE: caFile.optional(),
  /**
   * The API's public base URL (https://outflow.example.com): every email's List-Unsubscribe link points at
   * `<url>/u/<token>` with a one-click POST (RFC 8058), which Gmail and Yahoo require of bulk senders. Without it
   * emails offer only a mailto unsubscribe, and the sender warns at start. Default none.
   */
  OUTFLOW_PUBLIC_URL: httpUrl.optional(),
  /** Partitions of email-jobs this process sends from in parallel. Default 4. */
  SENDER_CONCURRENCY: positiveInt.default(4),
  /**
   * Email jobs of one partition handled at once. Each waits for a connection of its mailbox before it claims
   * the email, so this bounds memory and fetch-ahead, not the SMTP load (SMTP_POOL_SIZE does). Default 64.
   */
  SENDER_MESSAGE_CONCURRENCY: positiveInt.default(64),
  /**
   * Most bytes of email jobs one fetch brings per partition (~500 bytes a job). The jobs of a fetch are held until
   * all of it is handled: with kafkajs's 1 MiB a backlog meant ~2 000 jobs per partition in memory. Default 131 072.
   */
  SENDER_FETCH_BYTES_PER_PARTITION: positiveInt.default(131_072),
  /** Most emails per coalesced database statement (start, context, record-sent, publish). Default 200. */
  SENDER_BATCH_SIZE: positiveInt.default(200),
  /** How long a send may take before its lease expires and the email is marked uncertain. Default 120 000 ms. */
  SEND_LEASE_MS: positiveInt.default(120_000),
  /** Pooled SMTP connections per mailbox. Default 3. */
  SMTP_POOL_SIZE: positiveInt.default(3),
  /**
   * Most SMTP connections open at once across all mailboxes (each costs memory and a file descriptor). Every
   * mailbox with work still gets one: its first connection may close another mailbox's idle one. Default 1 000.
   */
  SMTP_MAX_CONNECTIONS: positiveInt.default(1_000),
  /** Connect, greeting and reply timeout towards SMTP servers. Default 30 000 ms. */
  SMTP_TIMEOUT_MS: positiveInt.default(30_000),
};
