import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { SendMailOptions } from 'nodemailer';

export interface ComposedMessage {
  envelope: { from: string | false; to: string[] };
  /**
   * The message as a stream for nodemailer's `raw`, and whether it was read to the end: nodemailer only reads it
   * during DATA, so a fully read message with no reply means the server may have accepted it.
   */
  stream(): { raw: Readable; handedOver: () => boolean };
}

/** Builds the MIME message up front, so a rendering problem surfaces before any connection is made. */
export async function composeMessage(options: SendMailOptions): Promise<ComposedMessage> {
  const node = new MailComposer(options).compile();
  const envelope = node.getEnvelope();
  const raw = await node.build();
  return {
    envelope: { from: envelope.from, to: envelope.to },
    stream() {
      let ended = false;
      const readable = Readable.from([raw]);
      readable.once('end', () => {
        ended = true;
      });
      return { raw: readable, handedOver: () => ended };
    },
  };
}
