import { createTransport, type Transporter } from 'nodemailer';

import type { RenderedMessage } from './due-messages.js';

/**
 * One pooled nodemailer transport per mailbox, as a team would write it: `poolSize` connections each (Outflow's
 * SMTP_POOL_SIZE in the same run), kept open across messages, no TLS on the loopback sink.
 */
export function mailboxTransports(poolSize: number) {
  const transports = new Map<string, Transporter>();
  return {
    send(message: RenderedMessage): Promise<unknown> {
      let transport = transports.get(message.mailboxId);
      if (!transport) {
        transport = createTransport({
          pool: true,
          maxConnections: poolSize,
          maxMessages: Number.POSITIVE_INFINITY,
          host: message.smtp.host,
          port: message.smtp.port,
          secure: false,
          ignoreTLS: true,
        });
        transports.set(message.mailboxId, transport);
      }
      return transport.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
        messageId: message.messageId,
        headers: message.headers,
      });
    },
    close(): void {
      for (const transport of transports.values()) transport.close();
    },
  };
}
