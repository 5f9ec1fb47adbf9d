import nodemailer, { type Transporter } from 'nodemailer';
import type { SecretBox } from '@outflow/config';

export interface MailboxSmtpSettings {
  id: string;
  smtp_host: string;
  smtp_port: number;
  smtp_secure: boolean;
  smtp_username: string | null;
  encrypted_smtp_password: string | null;
  smtp_password_key_id: string | null;
  updated_at: Date;
}

export interface TransportPool {
  get(mailbox: MailboxSmtpSettings): Transporter;
  closeAll(): void;
}

/**
 * One pooled nodemailer transport per mailbox, reused across sends (a connection per email caps throughput and
 * looks like abuse to receiving servers). A mailbox whose settings changed gets a new transport.
 */
export function createTransportPool(options: {
  secrets: SecretBox;
  poolSize: number;
  timeoutMs: number;
}): TransportPool {
  const transports = new Map<string, { version: number; transport: Transporter }>();
  return {
    get(mailbox) {
      const version = mailbox.updated_at.getTime();
      const cached = transports.get(mailbox.id);
      if (cached && cached.version === version) return cached.transport;
      cached?.transport.close();
      const password =
        mailbox.encrypted_smtp_password && mailbox.smtp_password_key_id
          ? options.secrets.decrypt(mailbox.encrypted_smtp_password, mailbox.smtp_password_key_id)
          : undefined;
      const transport = nodemailer.createTransport({
        pool: true,
        maxConnections: options.poolSize,
        host: mailbox.smtp_host,
        port: mailbox.smtp_port,
        secure: mailbox.smtp_secure,
        ...(mailbox.smtp_username ? { auth: { user: mailbox.smtp_username, pass: password ?? '' } } : {}),
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
      });
      transports.set(mailbox.id, { version, transport });
      return transport;
    },
    closeAll() {
      for (const { transport } of transports.values()) transport.close();
      transports.clear();
    },
  };
}
