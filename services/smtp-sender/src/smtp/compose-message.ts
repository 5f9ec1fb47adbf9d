import MailComposer from 'nodemailer/lib/mail-composer';
import type { SendMailOptions } from 'nodemailer';

export interface ComposedMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

/** Builds the MIME message and its SMTP envelope up front, so a rendering problem surfaces before any connection. */
export async function composeMessage(options: SendMailOptions): Promise<ComposedMessage> {
  const node = new MailComposer(options).compile();
  const envelope = node.getEnvelope();
  return { envelope: { from: envelope.from || '', to: envelope.to }, raw: await node.build() };
}
