import { simpleParser, type ParsedMail } from 'mailparser';

/** What classifying a message needs, taken from its MIME form once (the classifier is pure over this). */
export interface InboundFacts {
  /** The message's own Message-ID, angle brackets included. */
  messageId: string | undefined;
  /** The From address, lowercased. */
  from: string | undefined;
  fromName: string;
  subject: string;
  /** Header values by lowercased name (the first occurrence, unfolded). */
  headers: ReadonlyMap<string, string>;
  /** Every Message-ID named by In-Reply-To and References, in order. */
  referencedIds: string[];
  /** The top-level media type, lowercased (e.g. `multipart/report`), and its report-type parameter. */
  contentType: string;
  reportType: string | undefined;
  /** The text of a `message/delivery-status` part (RFC 3464), if any. */
  deliveryStatus: string | undefined;
  /** The returned message's headers: a `message/rfc822` or `text/rfc822-headers` part. */
  returnedHeaders: string | undefined;
  /** The plain-text body (HTML turned to text when there is no text part). */
  text: string;
  receivedAt: Date | undefined;
}

const MESSAGE_ID = /<[^<>\s]+>/g;

function idsIn(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(' ') : (value ?? '');
  return joined.match(MESSAGE_ID) ?? [];
}

/** Parses a raw message (bytes as fetched over IMAP) into the facts the classifier reads. */
export async function readInboundFacts(source: Buffer | string): Promise<InboundFacts> {
  // keepDeliveryStatus: mailparser otherwise folds a DSN's machine-readable part into the text.
  const parsed = await simpleParser(source, { keepDeliveryStatus: true, skipImageLinks: true });
  return factsOf(parsed);
}

function factsOf(parsed: ParsedMail): InboundFacts {
  const headers = new Map<string, string>();
  for (const { key, line } of parsed.headerLines) {
    if (headers.has(key)) continue;
    headers.set(
      key,
      line
        .slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim(),
    );
  }
  const contentType = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> };
  const partText = (...types: string[]) =>
    parsed.attachments.find((part) => types.includes(part.contentType.toLowerCase()))?.content.toString('utf8');
  const from = parsed.from?.value[0];
  return {
    messageId: parsed.messageId,
    from: from?.address?.toLowerCase(),
    fromName: from?.name ?? '',
    subject: parsed.subject ?? '',
    headers,
    referencedIds: [...new Set([...idsIn(parsed.inReplyTo), ...idsIn(parsed.references)])],
    contentType: (contentType?.value ?? 'text/plain').toLowerCase(),
    reportType: contentType?.params?.['report-type']?.toLowerCase(),
    deliveryStatus: partText('message/delivery-status', 'message/global-delivery-status'),
    returnedHeaders: partText('message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers'),
    text: parsed.text ?? (typeof parsed.html === 'string' ? parsed.html.replace(/<[^>]+>/g, ' ') : ''),
    receivedAt: parsed.date,
  };
}
