import { smtpPasswordBinding, type OutflowMode, type SecretBox } from '@outflow/config';
import type { SmtpTargetPolicy } from '@outflow/smtp-target';
import { ConnectionBudget } from './connection-budget.js';
import { MailboxConnectionPool, trustingAuthorities } from './mailbox-connection-pool.js';

export interface MailboxSmtpSettings {
  id: string;
  smtp_host: string;
  smtp_port: number;
  smtp_secure: boolean;
  /** Honoured in development mode only (see PoolSettings.auth). */
  smtp_allow_insecure_auth: boolean;
  smtp_username: string | null;
  encrypted_smtp_password: string | null;
  smtp_password_key_id: string | null;
  updated_at: Date;
}

export interface TransportPool {
  get(mailbox: MailboxSmtpSettings): MailboxConnectionPool;
  closeAll(): void;
}

/** ESECRET: the key is missing or the ciphertext is not this mailbox's; the message says which. */
function decryptPassword(secrets: SecretBox, mailbox: MailboxSmtpSettings): string | undefined {
  if (!mailbox.encrypted_smtp_password || !mailbox.smtp_password_key_id) return undefined;
  try {
    return secrets.decrypt(
      mailbox.encrypted_smtp_password,
      mailbox.smtp_password_key_id,
      smtpPasswordBinding(mailbox.id),
    );
  } catch (error) {
    throw Object.assign(new Error(`the mailbox's SMTP password cannot be used: ${(error as Error).message}`), {
      code: 'ESECRET',
    });
  }
}

/**
 * One connection pool per mailbox, reused across sends (a connection per email caps throughput and looks like
 * abuse to receiving servers). A mailbox whose settings changed gets a new pool. All pools share one budget of
 * `maxConnections`.
 */
export function createTransportPool(options: {
  secrets: SecretBox;
  poolSize: number;
  maxConnections: number;
  timeoutMs: number;
  mode: OutflowMode;
  targets: SmtpTargetPolicy;
  ca?: readonly string[];
}): TransportPool {
  const pools = new Map<string, { version: number; pool: MailboxConnectionPool }>();
  const budget = new ConnectionBudget(options.maxConnections);
  const secureContext = options.ca ? trustingAuthorities(options.ca) : undefined;
  return {
    get(mailbox) {
      const version = mailbox.updated_at.getTime();
      const cached = pools.get(mailbox.id);
      if (cached && cached.version === version) return cached.pool;
      cached?.pool.close();
      const password = decryptPassword(options.secrets, mailbox);
      const pool = new MailboxConnectionPool({
        host: mailbox.smtp_host,
        port: mailbox.smtp_port,
        secure: mailbox.smtp_secure,
        ...(mailbox.smtp_username
          ? {
              auth: {
                user: mailbox.smtp_username,
                pass: password ?? '',
                cleartext: options.mode === 'development' && mailbox.smtp_allow_insecure_auth,
              },
            }
          : {}),
        size: options.poolSize,
        timeoutMs: options.timeoutMs,
        targets: options.targets,
        ...(secureContext ? { secureContext } : {}),
        budget,
      });
      pools.set(mailbox.id, { version, pool });
      return pool;
    },
    closeAll() {
      for (const { pool } of pools.values()) pool.close();
      pools.clear();
    },
  };
}
