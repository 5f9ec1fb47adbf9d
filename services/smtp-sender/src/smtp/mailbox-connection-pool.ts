import { createSecureContext, type SecureContext } from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { resolveSmtpTarget, type SmtpTargetPolicy } from '@outflow/smtp-target';
import { ConnectionBudget, type IdleConnection } from './connection-budget.js';

export interface PoolSettings {
  host: string;
  port: number;
  secure: boolean;
  /**
   * Credentials travel only over TLS: implicit (`secure`), or STARTTLS, which is then required, with the
   * server's certificate verified. A server that offers neither gets no AUTH: the connection fails (ETLS).
   * `cleartext` sends them without TLS, for a local test server in development mode only.
   */
  auth?: { user: string; pass: string; cleartext?: boolean };
  size: number;
  timeoutMs: number;
  /** Where connections may go: checked on every connect, which goes to the address that was checked. */
  targets: SmtpTargetPolicy;
  /** The authorities TLS trusts (see trustingAuthorities). Default: Node's bundled roots. */
  secureContext?: SecureContext;
  /** Shared by every mailbox's pool of the process. Default: no limit across pools. */
  budget?: ConnectionBudget;
}

/** An SMTP failure, and whether it came after the server had accepted DATA (its last reply was 354). */
export interface SendError extends Error {
  responseCode?: number;
  response?: string;
  code?: string;
  /** true when the message body had been sent and no final reply came: the server may have accepted it. */
  afterData?: boolean;
}

/** A reserved connection: used for exactly one send, or released unused. */
export interface ConnectionSlot {
  send(envelope: { from: string; to: string[] }, raw: Buffer): Promise<{ response: string }>;
  /** Gives the connection back unused (a no-op once send was called). */
  release(): void;
}

/**
 * A TLS context that trusts these certificate authorities (PEM), built once for every connection: given as `ca`
 * to each connect instead, Node would parse all of them again for every connection.
 */
export function trustingAuthorities(ca: readonly string[]): SecureContext {
  return createSecureContext({ ca: [...ca], minVersion: 'TLSv1.2' });
}

/** How many times one send may move to another connection because its own had closed before the send. */
const maxReplacements = 2;

/**
 * nodemailer refuses a send on a connection that is closed or closing before writing anything ("Cannot send
 * message - smtp connection is already destroyed", or its socket is destroyed or half-closed): code ECONNECTION,
 * at the API stage rather than an SMTP command's.
 */
function closedBeforeSending(error: unknown): boolean {
  const failure = error as { code?: string; command?: string };
  return failure.code === 'ECONNECTION' && failure.command === 'API';
}

/**
 * Pooled SMTP connections for one mailbox. We own the connections (nodemailer's SMTPConnection) instead of using
 * nodemailer's pool because only the connection knows how far a failed transaction got: after a 354 (the body was
 * sent) a drop or a timeout may have delivered the message, before it nothing did. A connection that failed is
 * closed, never reused. Every open connection holds a slot of the process's ConnectionBudget.
 */
export class MailboxConnectionPool {
  private idle: SMTPConnection[] = [];
  private open = 0;
  private waiting: Array<(connection: SMTPConnection | Error) => void> = [];
  private closed = false;
  private readonly gone = new WeakSet<SMTPConnection>();
  /** How the budget sees each open connection while it is idle. */
  private readonly handles = new Map<SMTPConnection, IdleConnection>();
  private readonly budget: ConnectionBudget;

  constructor(private readonly settings: PoolSettings) {
    this.budget = settings.budget ?? new ConnectionBudget(Infinity);
  }

  async send(envelope: { from: string; to: string[] }, raw: Buffer): Promise<{ response: string }> {
    return (await this.reserve()).send(envelope, raw);
  }

  /**
   * Waits for a connection (opening one if the pool has room). The slot is for one send; release it unused when
   * the send is called off. Reserving before committing to a send keeps emails that wait for a connection out of
   * `sending`, so a crash leaves only the ones actually on the wire uncertain.
   */
  async reserve(): Promise<ConnectionSlot> {
    const connection = await this.acquire();
    let used = false;
    return {
      send: (envelope, raw) => {
        if (used) return Promise.reject(new Error('this SMTP connection slot was already used'));
        used = true;
        return this.sendOnLive(connection, envelope, raw);
      },
      release: () => {
        if (used) return;
        used = true;
        this.release(connection);
      },
    };
  }

  /**
   * Sends on the reserved connection, or on another when the reserved one closed before a byte of this message
   * was written to it: between the reservation and the send (the email is marked sending meanwhile), an idle
   * connection can reach its socket timeout or be ended by the server. Nothing of the message went out on it, so
   * another connection is not a resend; without it the attempt would fail (ECONNECTION) and wait for a retry's
   * backoff. At most `maxReplacements` times: a server that closes every new connection fails the attempt.
   */
  private async sendOnLive(
    reserved: SMTPConnection,
    envelope: { from: string; to: string[] },
    raw: Buffer,
  ): Promise<{ response: string }> {
    let connection = reserved;
    for (let replaced = 0; ; replaced += 1) {
      try {
        return await this.sendOn(connection, envelope, raw);
      } catch (error) {
        if (replaced === maxReplacements || !closedBeforeSending(error)) throw error;
        connection = await this.replacementFor(error);
      }
    }
  }

  /**
   * Another connection for a send whose own closed, if one comes within the SMTP timeout: the email is `sending`
   * and its lease runs meanwhile, so an unbounded wait for a slot could outlast it. Otherwise the send fails with
   * its closed connection's error, as before, and a connection that comes later goes back to the pool.
   */
  private async replacementFor(closedError: unknown): Promise<SMTPConnection> {
    const pending = this.acquire();
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.settings.timeoutMs, undefined);
    });
    const connection = await Promise.race([pending, gaveUp])
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
    if (connection) return connection;
    pending.then(
      (late) => this.release(late),
      () => undefined,
    );
    throw closedError;
  }

  private sendOn(
    connection: SMTPConnection,
    envelope: { from: string; to: string[] },
    raw: Buffer,
  ): Promise<{ response: string }> {
    return new Promise((resolve, reject) => {
      connection.send(envelope, raw, (error, info) => {
        if (error) {
          const failure = error as SendError;
          const last = typeof connection.lastServerResponse === 'string' ? connection.lastServerResponse : '';
          failure.afterData = failure.responseCode === undefined && last.startsWith('354');
          this.discard(connection);
          reject(failure);
          return;
        }
        this.release(connection);
        resolve({ response: info.response });
      });
    });
  }

  /** Closes idle connections now and the others once their send ends; their slots go back to the budget. */
  close(): void {
    this.closed = true;
    for (const connection of [...this.idle]) this.discard(connection, 'quit');
    for (const waiter of this.waiting.splice(0)) waiter(new Error('the SMTP pool is closed'));
  }

  private async acquire(): Promise<SMTPConnection> {
    if (this.closed) throw new Error('the SMTP pool is closed');
    const reusable = this.idle.pop();
    if (reusable) {
      this.budget.busy(this.handles.get(reusable)!);
      return reusable;
    }
    // A first connection is owed a slot (it may wait for one); a further one opens only from a free slot.
    const first = this.open === 0;
    if (this.open < this.settings.size && (first || this.budget.tryTake())) {
      this.open += 1;
      try {
        // The budget's wait never fails, so from here on this attempt holds a slot.
        if (first) {
          await this.budget.take();
          if (this.closed) throw new Error('the SMTP pool is closed');
        }
        return await this.connect();
      } catch (error) {
        this.open -= 1;
        this.budget.release();
        this.wakeOne();
        throw error;
      }
    }
    const next = await new Promise<SMTPConnection | Error>((resolve) => this.waiting.push(resolve));
    if (next instanceof Error) throw next;
    return next;
  }

  private async connect(): Promise<SMTPConnection> {
    const { host, port, secure, auth, timeoutMs, targets, secureContext } = this.settings;
    // Checked again at every connect, not only when the mailbox was saved: DNS may have changed since.
    const target = await resolveSmtpTarget(host, port, targets);
    const connection = new SMTPConnection({
      host: target.address,
      port,
      secure,
      requireTLS: auth !== undefined && !secure && auth.cleartext !== true,
      tls: {
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        // SNI and the certificate check use the name the user gave, not the address connected to.
        ...(target.servername ? { servername: target.servername } : {}),
        ...(secureContext ? { secureContext } : {}),
      },
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        // Never counted as open by discard: acquire() gives the slot back for a connection that failed to start.
        this.gone.add(connection);
        connection.close();
        reject(error);
      };
      // An idle connection the server closes (or that errors) leaves the pool quietly.
      connection.on('error', (error: Error) => {
        if (!settled) fail(error);
        else this.discard(connection);
      });
      connection.on('end', () => {
        if (settled) this.discard(connection);
      });
      connection.connect((error) => {
        if (error) return fail(error);
        const opened = (): void => {
          settled = true;
          this.handles.set(connection, {
            poolOpen: () => this.open,
            close: () => this.discard(connection, 'quit'),
          });
          resolve(connection);
        };
        if (!auth) return opened();
        connection.login({ user: auth.user, pass: auth.pass }, (loginError) => {
          if (loginError) return fail(loginError);
          opened();
        });
      });
    });
  }

  private release(connection: SMTPConnection): void {
    // Closed while reserved (the server hung up): its slot was already given back by discard.
    if (this.gone.has(connection)) return;
    if (this.closed) return this.discard(connection, 'quit');
    // Another mailbox waits for its first connection: this pool keeps its others for its own backlog.
    if (this.waiting.length > 0 && this.open > 1 && this.budget.wanted()) return this.discard(connection, 'quit');
    const waiter = this.waiting.shift();
    if (waiter) return waiter(connection);
    this.idle.push(connection);
    this.budget.idled(this.handles.get(connection)!);
  }

  /**
   * Removes a connection for good and gives its slot back once it is closed (idempotent: a failed send and its
   * close event both land here). `quit` ends a healthy connection politely; a failed one is just closed.
   */
  private discard(connection: SMTPConnection, how: 'quit' | 'close' = 'close'): void {
    if (this.gone.has(connection)) return;
    this.gone.add(connection);
    const index = this.idle.indexOf(connection);
    if (index !== -1) this.idle.splice(index, 1);
    const handle = this.handles.get(connection);
    if (handle) this.budget.busy(handle);
    this.handles.delete(connection);
    // A connection saying QUIT is open until the server answers (nodemailer then closes it and emits 'end'; a
    // server that never answers runs into the socket timeout). Given back at once, such connections came on top
    // of the budget: under the L drain's churn the sink counted 1 044 open at once for a budget of 1 000.
    const gone = connection.destroyed ? () => this.budget.release() : this.budget.closing();
    const giveBack = (): void => {
      this.open -= 1;
      gone();
      this.wakeOne();
    };
    if (connection.destroyed) return giveBack();
    connection.once('end', giveBack);
    if (how === 'quit') connection.quit();
    else connection.close();
  }

  private wakeOne(): void {
    const waiter = this.waiting.shift();
    if (!waiter) return;
    this.acquire().then(waiter, waiter);
  }
}
