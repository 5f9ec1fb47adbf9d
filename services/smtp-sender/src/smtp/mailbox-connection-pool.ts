import SMTPConnection from 'nodemailer/lib/smtp-connection';

export interface PoolSettings {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string };
  size: number;
  timeoutMs: number;
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
 * Pooled SMTP connections for one mailbox. We own the connections (nodemailer's SMTPConnection) instead of using
 * nodemailer's pool because only the connection knows how far a failed transaction got: after a 354 (the body was
 * sent) a drop or a timeout may have delivered the message, before it nothing did. A connection that failed is
 * closed, never reused.
 */
export class MailboxConnectionPool {
  private idle: SMTPConnection[] = [];
  private open = 0;
  private waiting: Array<(connection: SMTPConnection | Error) => void> = [];
  private closed = false;
  private readonly gone = new WeakSet<SMTPConnection>();

  constructor(private readonly settings: PoolSettings) {}

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
        return this.sendOn(connection, envelope, raw);
      },
      release: () => {
        if (used) return;
        used = true;
        this.release(connection);
      },
    };
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

  close(): void {
    this.closed = true;
    for (const connection of this.idle.splice(0)) connection.quit();
    for (const waiter of this.waiting.splice(0)) waiter(new Error('the SMTP pool is closed'));
  }

  private async acquire(): Promise<SMTPConnection> {
    if (this.closed) throw new Error('the SMTP pool is closed');
    const reusable = this.idle.pop();
    if (reusable) return reusable;
    if (this.open < this.settings.size) {
      this.open += 1;
      try {
        return await this.connect();
      } catch (error) {
        this.open -= 1;
        this.wakeOne();
        throw error;
      }
    }
    const next = await new Promise<SMTPConnection | Error>((resolve) => this.waiting.push(resolve));
    if (next instanceof Error) throw next;
    return next;
  }

  private connect(): Promise<SMTPConnection> {
    const { host, port, secure, auth, timeoutMs } = this.settings;
    const connection = new SMTPConnection({
      host,
      port,
      secure,
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
        if (!auth) {
          settled = true;
          return resolve(connection);
        }
        connection.login(auth, (loginError) => {
          if (loginError) return fail(loginError);
          settled = true;
          resolve(connection);
        });
      });
    });
  }

  private release(connection: SMTPConnection): void {
    // Closed while reserved (the server hung up): its slot was already given back by discard.
    if (this.gone.has(connection)) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter(connection);
    else if (this.closed) connection.quit();
    else this.idle.push(connection);
  }

  /** Removes a connection for good (idempotent: a failed send and its close event both land here). */
  private discard(connection: SMTPConnection): void {
    if (this.gone.has(connection)) return;
    this.gone.add(connection);
    const index = this.idle.indexOf(connection);
    if (index !== -1) this.idle.splice(index, 1);
    if (!connection.destroyed) connection.close();
    this.open -= 1;
    this.wakeOne();
  }

  private wakeOne(): void {
    const waiter = this.waiting.shift();
    if (!waiter) return;
    this.acquire().then(waiter, waiter);
  }
}
