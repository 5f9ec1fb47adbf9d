import { randomBytes } from 'node:crypto';
import * as base64 from 'nodemailer/lib/base64';
import MailComposer from 'nodemailer/lib/mail-composer';
import * as mime from 'nodemailer/lib/mime-funcs';
import * as qp from 'nodemailer/lib/qp';

export interface ComposedMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

export interface MessageParts {
  from: { name?: string | null; address: string };
  to: string;
  /** One line: the renderer strips line breaks. */
  subject: string;
  text: string;
  html?: string;
  messageId: string;
  /** Extra headers, e.g. X-Outflow-Email-Id (names and values of printable ASCII). */
  headers: Record<string, string>;
}

/** An address every SMTP server takes as it is: printable ASCII, one @, no brackets, quotes or spaces. */
const PLAIN_ADDRESS = /^[!#-'*+\-./0-9=?A-Z^-~]+@[A-Za-z0-9.-]+$/;
const HEADER_NAME = /^[!-9;-~]+$/;
const PRINTABLE = /^[\x20-\x7e]*$/;

/** A message that must not be sent as it stands (it would inject headers or reach other recipients): permanent. */
export class UnsendableMessageError extends Error {
  override readonly name = 'UnsendableMessageError';
}

// One addr-spec: no list separators, brackets, quotes, comments, spaces or control characters (a comma in `to`
// would send to two recipients; a line break would start a new header).
const SINGLE_ADDRESS = /^[^\s\x00-\x1f\x7f,;<>()"\\@]+@[^\s\x00-\x1f\x7f,;<>()"\\@]+$/; // eslint-disable-line no-control-regex
const LINE_BREAK = /[\r\n]/;

/**
 * The checks the callers make, made again where headers are written, so no caller's slip becomes an injection.
 * (A display name is RFC 2047-encoded when it holds a control character, so it cannot break a line.)
 */
function assertSafeParts(parts: MessageParts): void {
  for (const [what, address] of [
    ['recipient', parts.to],
    ['sender address', parts.from.address],
  ] as const) {
    if (!SINGLE_ADDRESS.test(address)) throw new UnsendableMessageError(`the ${what} is not one plain address`);
  }
  if (LINE_BREAK.test(parts.subject)) throw new UnsendableMessageError('the subject holds a line break');
  for (const [name, value] of Object.entries(parts.headers)) {
    if (!HEADER_NAME.test(name) || LINE_BREAK.test(value))
      throw new UnsendableMessageError(`the header ${name} is not valid`);
  }
}

/**
 * Builds the MIME message and its SMTP envelope up front, so a rendering problem surfaces before any connection.
 *
 * The message every sequence step makes (a text part, perhaps an HTML alternative, a handful of headers) is
 * written directly, with nodemailer's own encoders and the same choices its MailComposer makes (7bit when the
 * text allows, else quoted-printable or base64 by the share of non-Latin characters; RFC 2047 words in headers;
 * lines folded at 76). MailComposer streams every message through a tree of MIME nodes, which cost a fifth of
 * the sender's CPU in a profiled drain; this is a small fraction of that. Anything outside that shape (an
 * address that needs punycode or SMTPUTF8, an unusual header) goes through MailComposer as before.
 */
export async function composeMessage(parts: MessageParts): Promise<ComposedMessage> {
  assertSafeParts(parts);
  const envelope = { from: parts.from.address, to: [parts.to] };
  if (!isDirectlyComposable(parts)) return composeWithNodemailer(parts);
  const headers = [
    ...Object.entries(parts.headers).map(([name, value]) => header(name, value)),
    header('From', parts.from.name ? `${addressName(parts.from.name)} <${parts.from.address}>` : parts.from.address),
    header('To', parts.to),
    header('Subject', headerText(parts.subject)),
    header('Message-ID', parts.messageId),
    header('Date', new Date().toUTCString().replace(/GMT/, '+0000')),
    header('MIME-Version', '1.0'),
  ];
  const text = bodyPart('text/plain', parts.text);
  if (parts.html === undefined) {
    return { envelope, raw: Buffer.from(`${[...headers, ...text.headers].join('\r\n')}\r\n\r\n${text.body}\r\n`) };
  }
  const html = bodyPart('text/html', parts.html);
  // "=_" can never occur in quoted-printable or base64 text, and 7bit text would have to hold the random part.
  const boundary = `=_outflow_${randomBytes(12).toString('hex')}`;
  const raw = [
    [...headers, header('Content-Type', `multipart/alternative; boundary="${boundary}"`)].join('\r\n'),
    '',
    `--${boundary}`,
    text.headers.join('\r\n'),
    '',
    text.body,
    `--${boundary}`,
    html.headers.join('\r\n'),
    '',
    html.body,
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return { envelope, raw: Buffer.from(raw) };
}

function isDirectlyComposable(parts: MessageParts): boolean {
  return (
    PLAIN_ADDRESS.test(parts.from.address) &&
    PLAIN_ADDRESS.test(parts.to) &&
    PRINTABLE.test(parts.messageId) &&
    Object.values(parts.headers).every((value) => PRINTABLE.test(value)) // names: checked by assertSafeParts
  );
}

/** The same message through nodemailer's MailComposer: the path for anything unusual, and the tests' reference. */
export async function composeWithNodemailer(parts: MessageParts): Promise<ComposedMessage> {
  const node = new MailComposer({
    from: parts.from.name ? { name: parts.from.name, address: parts.from.address } : parts.from.address,
    to: parts.to,
    subject: parts.subject,
    text: parts.text,
    ...(parts.html === undefined ? {} : { html: parts.html }),
    messageId: parts.messageId,
    headers: parts.headers,
  }).compile();
  const envelope = node.getEnvelope();
  return { envelope: { from: envelope.from || '', to: envelope.to }, raw: await node.build() };
}

/** One header line, folded at 76 characters. */
function header(name: string, value: string): string {
  return mime.foldLines(`${name}: ${value}`, 76);
}

/** A text part's headers and its encoded body, lines ending in CRLF. */
function bodyPart(type: 'text/plain' | 'text/html', content: string): { headers: string[]; body: string } {
  const normalized = content.replace(/\r\n|\r|\n/g, '\r\n');
  let encoding: '7bit' | 'quoted-printable' | 'base64';
  let body: string;
  if (mime.isPlainText(normalized) && !mime.hasLongerLines(normalized, 76)) {
    encoding = '7bit';
    body = normalized;
  } else if (textEncodingOf(normalized) === 'Q') {
    encoding = 'quoted-printable';
    body = qp.wrap(qp.encode(normalized), 76);
  } else {
    encoding = 'base64';
    body = base64.wrap(base64.encode(normalized), 76);
  }
  return {
    headers: [header('Content-Type', `${type}; charset=utf-8`), header('Content-Transfer-Encoding', encoding)],
    body,
  };
}

/** A display name as a phrase: as it is when it is words, quoted when it has ASCII specials, else RFC 2047. */
function addressName(name: string): string {
  if (/^[\w ]*$/.test(name)) return name;
  if (PRINTABLE.test(name)) return mime.quoteString(name);
  return mime.encodeWord(name, textEncodingOf(name), 52);
}

/** Unstructured header text: RFC 2047 words where it is not printable ASCII (control characters included). */
function headerText(value: string): string {
  return hasControlCharacter(value)
    ? mime.encodeWord(value, textEncodingOf(value), 52)
    : mime.encodeWords(value, textEncodingOf(value), 52, true);
}

/** A C0 control other than tab, CR or LF, or DEL: never valid in header text, however it is folded. */
function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
}

/** Q (quoted-printable) for mostly Latin text, B (base64) for mostly anything else: the shorter of the two. */
function textEncodingOf(value: string): 'Q' | 'B' {
  let nonLatin = 0;
  let latin = 0;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code <= 0x08 || code === 0x0b || code === 0x0c || (code >= 0x0e && code <= 0x1f) || code >= 0x80) {
      nonLatin++;
    } else if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) {
      latin++;
    }
  }
  return nonLatin < latin ? 'Q' : 'B';
}
