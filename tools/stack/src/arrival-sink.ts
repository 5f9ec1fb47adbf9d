import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';

/** A message the sink accepted: the value of its id header (undefined when it had none) and when it arrived. */
export interface Arrival {
  id: string | undefined;
  /** Epoch milliseconds at the end of DATA, before the 250 was written. */
  at: number;
}

export interface ArrivalSink {
  host: string;
  port: number;
  /** Every accepted message, in arrival order. */
  readonly arrivals: readonly Arrival[];
  /**
   * Client connections open now, and the most open at once since the start. A connection stops counting when
   * its QUIT is answered, as a sender's connection budget frees its slot then, or when it closes, whichever
   * comes first: counted to the socket's close, a connection that a pool replaced at once still counted while
   * the TCP teardown finished, and the peak went over the budget it measures.
   */
  connections(): { open: number; peak: number };
  /** Resolves once at least `count` messages arrived; rejects after `timeoutMs` saying how many came. */
  waitForArrivals(count: number, timeoutMs?: number): Promise<readonly Arrival[]>;
  stop(): Promise<void>;
}

export interface StartArrivalSinkOptions {
  /** The header whose value identifies a message (matched case-insensitively), e.g. X-Outflow-Email-Id. */
  idHeader: string;
  /** Default 0 (a free port). The sink listens on 127.0.0.1 only. */
  port?: number;
  /** Larger messages are answered 552 and not recorded. Default 10 MiB. */
  maxMessageBytes?: number;
}

/** The longest command line accepted (RFC 5321 4.5.3.1.4 allows 512 octets; extensions add some). */
const MAX_COMMAND_BYTES = 4096;
const CRLF = Buffer.from('\r\n', 'latin1');
const END_OF_DATA = Buffer.from('\r\n.\r\n', 'latin1');
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

/**
 * The value of header `name` (lower-case) in a message's header block, unfolded; undefined when absent. `data`
 * starts with CRLF (see readData), so every header line, the first one too, is found after a CRLF.
 */
function headerValue(data: Buffer, name: string): string | undefined {
  const headerEnd = data.indexOf(HEADER_END);
  const block = data.toString('latin1', 0, headerEnd === -1 ? data.length : headerEnd + 2).toLowerCase();
  const at = block.indexOf(`\r\n${name}:`);
  if (at === -1) return undefined;
  const start = at + 2 + name.length + 1;
  let end = block.indexOf('\r\n', start);
  // A folded header goes on over lines that start with a space or a tab.
  while (end !== -1 && (block[end + 2] === ' ' || block[end + 2] === '\t')) end = block.indexOf('\r\n', end + 2);
  // The value as sent (not lower-cased), from the same offsets: latin1 keeps one character per byte.
  return data
    .toString('latin1', start, end === -1 ? block.length : end)
    .replace(/\r\n[ \t]+/g, ' ')
    .trim();
}

/**
 * An SMTP server for the benchmark: it accepts every message and records only its id header and arrival time.
 *
 * The test sink (smtp-server, with fault injection) streams every message through JavaScript transforms, on the
 * same two cores as the pipeline it measures: in M drains the bench process used 0.12-0.13 ms of CPU per email
 * with it. This one speaks the part of SMTP a sender uses (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, with
 * PIPELINING) and finds the end of a message with one buffer search: 0.05-0.06 ms, most of it the socket's system
 * calls. No AUTH and no TLS: the bench's mailboxes use neither.
 */
export async function startArrivalSink(options: StartArrivalSinkOptions): Promise<ArrivalSink> {
  const idHeader = options.idHeader.toLowerCase();
  const maxMessageBytes = options.maxMessageBytes ?? 10 * 1024 * 1024;
  const arrivals: Arrival[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  let open = 0;
  let peak = 0;

  const serve = (socket: Socket): void => {
    sockets.add(socket);
    open += 1;
    peak = Math.max(peak, open);
    let counted = true;
    const leave = (): void => {
      if (!counted) return;
      counted = false;
      open -= 1;
    };
    socket.once('close', () => {
      sockets.delete(socket);
      leave();
    });
    socket.on('error', () => undefined);
    socket.setNoDelay(true);

    let pending: Buffer = Buffer.alloc(0);
    let stage: 'command' | 'data' = 'command';
    let sender = false;
    let recipients = 0;
    // The message in DATA is over the size limit: its bytes are dropped as they come, and it is answered 552.
    let oversize = false;
    // Bytes of the current message searched so far without finding its end: the next search starts just before.
    let searched = 0;

    /** The reply to one command line; undefined for QUIT, which is answered and closes the connection. */
    const reply = (command: string): string | undefined => {
      const verb = command.slice(0, 4).toUpperCase();
      const rest = command.slice(4);
      if (verb === 'EHLO' && /^\s/.test(rest)) {
        sender = false;
        recipients = 0;
        return `250-outflow-bench-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE ${maxMessageBytes}\r\n`;
      }
      if (verb === 'HELO' && /^\s/.test(rest)) return '250 outflow-bench-sink\r\n';
      if (verb === 'MAIL' && /^ FROM:/i.test(rest)) {
        if (sender) return '503 5.5.1 Error: nested MAIL command\r\n';
        sender = true;
        return '250 2.1.0 OK\r\n';
      }
      if (verb === 'RCPT' && /^ TO:/i.test(rest)) {
        if (!sender) return '503 5.5.1 Error: need MAIL command\r\n';
        recipients += 1;
        return '250 2.1.5 OK\r\n';
      }
      if (verb === 'DATA' && rest.trim() === '') {
        if (recipients === 0) return '503 5.5.1 Error: need RCPT command\r\n';
        stage = 'data';
        searched = 0;
        oversize = false;
        // The message is searched with the CRLF that ended the DATA line in front of it, so that a message whose
        // first line is the lone "." (an empty message) ends like any other, at CRLF "." CRLF.
        pending = pending.length === 0 ? CRLF : Buffer.concat([CRLF, pending]);
        return '354 End data with <CR><LF>.<CR><LF>\r\n';
      }
      if (verb === 'RSET' && rest.trim() === '') {
        sender = false;
        recipients = 0;
        return '250 2.0.0 OK\r\n';
      }
      if (verb === 'NOOP') return '250 2.0.0 OK\r\n';
      if (verb === 'QUIT' && rest.trim() === '') return undefined;
      return '500 5.5.2 Error: command not recognized\r\n';
    };

    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let out = '';
      for (;;) {
        if (stage === 'data') {
          const end = pending.indexOf(END_OF_DATA, Math.max(searched - END_OF_DATA.length, 0));
          if (end === -1) {
            searched = pending.length;
            if (pending.length > maxMessageBytes + MAX_COMMAND_BYTES) {
              // Too large to keep: keep only its tail, where the end may still be split across chunks.
              pending = pending.subarray(pending.length - END_OF_DATA.length);
              searched = pending.length;
              oversize = true;
            }
            break;
          }
          const tooLarge = oversize || end > maxMessageBytes;
          if (!tooLarge) arrivals.push({ id: headerValue(pending.subarray(0, end + 2), idHeader), at: Date.now() });
          out += tooLarge
            ? '552 5.3.4 Error: message exceeds fixed maximum message size\r\n'
            : `250 2.0.0 OK: queued as bench-${arrivals.length}\r\n`;
          pending = pending.subarray(end + END_OF_DATA.length);
          stage = 'command';
          sender = false;
          recipients = 0;
          continue;
        }
        const lineEnd = pending.indexOf(CRLF);
        if (lineEnd === -1) {
          if (pending.length > MAX_COMMAND_BYTES) {
            socket.end(`${out}500 5.5.6 Error: line too long\r\n`);
            return;
          }
          break;
        }
        const command = pending.toString('latin1', 0, lineEnd);
        pending = pending.subarray(lineEnd + 2);
        const answer = reply(command);
        if (answer === undefined) {
          leave();
          socket.end(`${out}221 2.0.0 Bye\r\n`);
          return;
        }
        out += answer;
      }
      if (out !== '') socket.write(out);
      for (const wake of [...waiters]) wake();
    });
    socket.write('220 outflow-bench-sink ESMTP\r\n');
  };

  const server = createServer(serve);
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    arrivals,
    connections: () => ({ open, peak }),
    waitForArrivals(count, timeoutMs = 30_000) {
      if (arrivals.length >= count) return Promise.resolve(arrivals);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`expected ${count} messages at the bench sink within ${timeoutMs} ms, got ${arrivals.length}`),
          );
        }, timeoutMs);
        const check = (): void => {
          if (arrivals.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(arrivals);
        };
        waiters.add(check);
      });
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
