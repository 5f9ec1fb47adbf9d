import { positiveInt, secretEnv } from '@outflow/config';

export const smtpSenderEnv = {
  ...secretEnv,
  /** Partitions of email-jobs this process sends from in parallel. Default 4. */
  SENDER_CONCURRENCY: positiveInt.default(4),
  /** How long a send may take before its lease expires and the email is marked uncertain. Default 120 000 ms. */
  SEND_LEASE_MS: positiveInt.default(120_000),
  /** Pooled SMTP connections per mailbox. Default 3. */
  SMTP_POOL_SIZE: positiveInt.default(3),
  /** Connect, greeting and reply timeout towards SMTP servers. Default 30 000 ms. */
  SMTP_TIMEOUT_MS: positiveInt.default(30_000),
};
