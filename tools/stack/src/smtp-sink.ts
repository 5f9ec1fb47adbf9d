import { EventEmitter } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

/** A message the sink accepted (answered 250). */
export interface ReceivedMessage {
  /** The sink's queue id, also in the 250 reply ("250 OK: queued as <id>"). */
  id: string;
  receivedAt: Date;
  from: string;
  to: string[];
  /** Header names lower-cased, folded lines joined; values are raw (not RFC 2047 decoded). */
  headers: Record<string, string>;
  raw: Buffer;
  /** The SMTP AUTH user, if the client logged in. */
  authUser?: string;
}

/** One answer the sink gave to a RCPT TO or DATA, including rejections: what a client saw. */
interface SmtpAttempt {
  at: Date;
  stage: 'rcpt' | 'data';
  recipients: string[];
  /** The reply code sent, or 'drop' / 'stall' when no reply was sent. */
  outcome: number | 'drop' | 'stall';
}

type FaultAction =
  | { type: 'reply'; code: number; message?: string }
  | { type: 'drop' }
  | { type: 'stall'; ms?: number }
  /**
   * DATA stage: the message is taken, but the 250 waits until `until` settles (a slow provider, or a test that
   * must act while the sender still waits for the reply).
   */
  | { type: 'accept-after'; until: (message: ReceivedMessage) => Promise<void> };

export interface FaultRule {
  /** Matches when any recipient equals this address (case-insensitive). */
  recipient?: string;
  /** Matches messages carrying this header value (DATA stage only), e.g. a per-email id header. */
  header?: { name: string; value: string };
  /**
   * When the fault hits: after RCPT TO, or after the message body (DATA) was received, before the 250.
   * Default 'rcpt' for recipient-only rules, 'data' otherwise.
   */
  stage?: 'rcpt' | 'data';
  action: FaultAction;
  /** How many matching attempts the rule answers before it stops applying. Default: unlimited. */
  times?: number;
}

interface ActiveRule extends FaultRule {
  id: number;
  stage: 'rcpt' | 'data';
  remaining: number;
}

export interface SmtpSink {
  host: string;
  port: number;
  readonly messages: readonly ReceivedMessage[];
  readonly attempts: readonly SmtpAttempt[];
  /** Client connections open now, and the most open at once since the start (or the last `clear`). */
  connections(): { open: number; peak: number };
  /** The AUTH commands received, since the start or the last `clear`, and whether each came over TLS. */
  readonly logins: readonly { user: string; overTls: boolean }[];
  /** Adds a fault rule; returns its id for removeFault. Rules are checked in the order added. */
  addFault(rule: FaultRule): number;
  removeFault(id: number): void;
  clearFaults(): void;
  /** Forgets received messages and attempts, and starts the connections' peak again from those open now. */
  clear(): void;
  /** Resolves once at least `count` messages were received; rejects after `timeoutMs` saying how many came. */
  waitForMessages(count: number, timeoutMs?: number): Promise<readonly ReceivedMessage[]>;
  /** Decodes a message (subject, text, html, attachments) with mailparser. */
  parse(message: ReceivedMessage): Promise<ParsedMail>;
  on(event: 'message', listener: (message: ReceivedMessage) => void): void;
  off(event: 'message', listener: (message: ReceivedMessage) => void): void;
  stop(): Promise<void>;
}

export interface StartSmtpSinkOptions {
  /** Default 0 (a free port). The sink listens on 127.0.0.1 only. */
  port?: number;
  /** Largest accepted message in bytes. Default 10 MiB. */
  maxMessageBytes?: number;
  /** A tarpit: every connection waits this long for the server's greeting (220). Default 0. */
  greetingDelayMs?: number;
  /**
   * Offer STARTTLS with this key and certificate (PEM). AUTH is accepted with or without TLS either way, so a
   * test sees whether a client sent its credentials in clear. Default: no TLS.
   */
  starttls?: { key: string; cert: string };
}

const defaultTexts: Record<number, string> = {
  421: 'Service not available, closing transmission channel',
  450: 'Mailbox unavailable',
  451: 'Requested action aborted: local error in processing (try again later)',
  452: 'Insufficient system storage',
  550: 'Mailbox unavailable',
  552: 'Exceeded storage allocation',
  554: 'Transaction failed',
};

function parseHeaders(raw: Buffer): Record<string, string> {
  const end = raw.indexOf('\r\n\r\n');
  const block = raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
  const headers: Record<string, string> = {};
  let last: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      headers[last] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[last] = headers[last] === undefined ? value : `${headers[last]}, ${value}`;
  }
  return headers;
}

/**
 * A real SMTP server (smtp-server) that stores what it receives and answers faults on demand: a reply code,
 * a dropped connection or a stalled reply, per recipient or per message. Accepts any AUTH login; offers STARTTLS
 * only when given a certificate.
 */
export async function startSmtpSink(options: StartSmtpSinkOptions = {}): Promise<SmtpSink> {
  const events = new EventEmitter();
  const messages: ReceivedMessage[] = [];
  const attempts: SmtpAttempt[] = [];
  let rules: ActiveRule[] = [];
  let nextRuleId = 1;
  let nextMessageId = 1;
  const sockets = new Map<number, Socket>();
  const stalled = new Set<() => void>();
  const greetings = new Set<NodeJS.Timeout>();

  const findRule = (stage: 'rcpt' | 'data', recipients: string[], headers?: Record<string, string>) => {
    const lowered = recipients.map((recipient) => recipient.toLowerCase());
    const rule = rules.find((candidate) => {
      if (candidate.stage !== stage || candidate.remaining <= 0) return false;
      if (candidate.recipient && !lowered.includes(candidate.recipient.toLowerCase())) return false;
      if (candidate.header) {
        const value = headers?.[candidate.header.name.toLowerCase()];
        if (value === undefined || value.trim() !== candidate.header.value) return false;
      }
      return true;
    });
    if (rule) rule.remaining -= 1;
    return rule;
  };

  /** Applies a fault: calls back with an error reply, destroys the socket, or holds the reply. */
  const applyFault = (
    rule: ActiveRule,
    session: SMTPServerSession,
    stage: 'rcpt' | 'data',
    recipients: string[],
    callback: (error?: Error | null) => void,
  ): void => {
    const { action } = rule;
    if (action.type === 'reply') {
      attempts.push({ at: new Date(), stage, recipients, outcome: action.code });
      const error = new Error(action.message ?? defaultTexts[action.code] ?? 'Rejected') as Error & {
        responseCode: number;
      };
      error.responseCode = action.code;
      callback(error);
    } else if (action.type === 'drop') {
      attempts.push({ at: new Date(), stage, recipients, outcome: 'drop' });
      sockets.get(session.remotePort)?.destroy();
    } else {
      attempts.push({ at: new Date(), stage, recipients, outcome: 'stall' });
      const release = (): void => {
        stalled.delete(release);
        clearTimeout(timer);
        sockets.get(session.remotePort)?.destroy();
      };
      // A stall never answers: after `ms` (or at stop) the connection is closed without a reply.
      const timer = setTimeout(release, (action.type === 'stall' ? action.ms : undefined) ?? 600_000);
      stalled.add(release);
    }
  };

  let openConnections = 0;
  let peakConnections = 0;
  const logins: { user: string; overTls: boolean }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    ...(options.starttls
      ? { key: options.starttls.key, cert: options.starttls.cert }
      : { disabledCommands: ['STARTTLS'] }),
    logger: false,
    banner: 'Outflow SMTP sink',
    size: options.maxMessageBytes ?? 10 * 1024 * 1024,
    closeTimeout: 1_000,
    onConnect(_session, callback) {
      openConnections += 1;
      peakConnections = Math.max(peakConnections, openConnections);
      if (!options.greetingDelayMs) {
        callback();
        return;
      }
      // smtp-server sends its banner once this callback runs.
      const timer = setTimeout(() => {
        greetings.delete(timer);
        callback();
      }, options.greetingDelayMs);
      greetings.add(timer);
    },
    onClose() {
      openConnections -= 1;
    },
    onAuth(auth, session, callback) {
      logins.push({ user: auth.username ?? '', overTls: session.secure });
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onRcptTo(address: SMTPServerAddress, session, callback) {
      const rule = findRule('rcpt', [address.address]);
      if (rule) applyFault(rule, session, 'rcpt', [address.address], callback);
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          const error = new Error('Message exceeds fixed maximum message size') as Error & { responseCode: number };
          error.responseCode = 552;
          attempts.push({ at: new Date(), stage: 'data', recipients, outcome: 552 });
          callback(error);
          return;
        }
        const headers = parseHeaders(raw);
        const rule = findRule('data', recipients, headers);
        if (rule && rule.action.type !== 'accept-after') {
          applyFault(rule, session, 'data', recipients, callback);
          return;
        }
        const message: ReceivedMessage = {
          id: `sink-${nextMessageId++}`,
          receivedAt: new Date(),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: recipients,
          headers,
          raw,
          ...(typeof session.user === 'string' ? { authUser: session.user } : {}),
        };
        const accept = (): void => {
          messages.push(message);
          attempts.push({ at: message.receivedAt, stage: 'data', recipients, outcome: 250 });
          callback(null, `OK: queued as ${message.id}`);
          events.emit('message', message);
        };
        if (rule?.action.type === 'accept-after') void rule.action.until(message).then(accept, accept);
        else accept();
      });
    },
  });
  server.on('error', () => undefined);
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort ?? 0;
    sockets.set(port, socket);
    socket.once('close', () => sockets.delete(port));
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    messages,
    attempts,
    connections: () => ({ open: openConnections, peak: peakConnections }),
    logins,
    addFault(rule) {
      const id = nextRuleId++;
      const stage = rule.stage ?? (rule.header || rule.action.type === 'accept-after' ? 'data' : 'rcpt');
      if (stage === 'rcpt' && rule.header) throw new Error('a header rule can only apply at the data stage');
      if (stage === 'rcpt' && rule.action.type === 'accept-after') {
        throw new Error('accept-after applies at the data stage (there is a message to accept)');
      }
      if (rule.action.type === 'reply' && (rule.action.code < 400 || rule.action.code > 599)) {
        throw new Error(`fault reply code must be 4xx or 5xx, got ${rule.action.code}`);
      }
      rules.push({ ...rule, id, stage, remaining: rule.times ?? Number.POSITIVE_INFINITY });
      return id;
    },
    removeFault(id) {
      rules = rules.filter((rule) => rule.id !== id);
    },
    clearFaults() {
      rules = [];
    },
    clear() {
      messages.length = 0;
      attempts.length = 0;
      peakConnections = openConnections;
      logins.length = 0;
    },
    waitForMessages(count, timeoutMs = 30_000) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const onMessage = (): void => {
          if (messages.length >= count) {
            cleanup();
            resolve(messages);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`expected ${count} messages at the SMTP sink within ${timeoutMs} ms, got ${messages.length}`),
          );
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          events.off('message', onMessage);
        };
        events.on('message', onMessage);
      });
    },
    parse: (message) => simpleParser(message.raw),
    on: (event, listener) => void events.on(event, listener),
    off: (event, listener) => void events.off(event, listener),
    async stop() {
      for (const timer of greetings) clearTimeout(timer);
      greetings.clear();
      for (const release of [...stalled]) release();
      for (const socket of sockets.values()) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
