/** An idle pooled connection as the budget sees it: it can be closed to make room for another mailbox's. */
export interface IdleConnection {
  /** Connections its pool has open, this one included. */
  poolOpen(): number;
  /** Closes it; its pool gives the slot back (release). */
  close(): void;
}

/**
 * The most SMTP connections one sender keeps open, across all its mailboxes' pools. Each connection costs memory
 * (~21 kB of RSS each on plain TCP, more with TLS) and a file descriptor; with a thousand mailboxes and three
 * connections each, a drain would otherwise hold three thousand.
 *
 * A pool's first connection may wait for a slot and may close another pool's idle one (least recently idle first,
 * preferring pools that keep another connection), so every mailbox with work gets a connection; a pool's further
 * connections open only from slots that are free. A pool that has more than one connection and a backlog of its
 * own gives a connection up, rather than reusing it, while another mailbox waits for its first.
 */
export class ConnectionBudget {
  private taken = 0;
  /** Connections being closed (QUIT sent, not answered yet): each slot is on its way to a waiting pool. */
  private leaving = 0;
  /** In the order they became idle: the first is the least recently used. */
  private readonly idle = new Set<IdleConnection>();
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {
    if (!(Number.isInteger(max) || max === Infinity) || max < 1) {
      throw new Error('the connection budget must be at least 1');
    }
  }

  /** A slot for a pool's further connection: only a free one, never at another pool's expense. */
  tryTake(): boolean {
    if (this.taken >= this.max) return false;
    this.taken += 1;
    return true;
  }

  /** A slot for a pool's first connection: a free one, else an idle connection closed for it, else the next freed. */
  take(): Promise<void> {
    if (this.tryTake()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.needsRoom()) this.pickIdle()?.close();
    });
  }

  /**
   * A connection is being closed and still holds its slot until it is gone: call the returned function then (it
   * releases). Meanwhile its slot counts as on its way to the first waiting pool, so no other connection is
   * closed for that pool.
   */
  closing(): () => void {
    this.leaving += 1;
    let gone = false;
    return () => {
      if (gone) return;
      gone = true;
      this.leaving -= 1;
      this.release();
    };
  }

  /** A connection closed (or never opened): its slot goes to the first waiting pool, else becomes free. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.taken -= 1;
  }

  /** Whether a pool that still has another connection should close this one for a pool waiting for its first. */
  wanted(): boolean {
    return this.needsRoom();
  }

  /** A connection went idle: closed at once if a pool waits for a slot, else kept, last in line for eviction. */
  idled(connection: IdleConnection): void {
    if (this.needsRoom()) {
      connection.close();
      return;
    }
    this.idle.add(connection);
  }

  /** A connection is no longer idle (reused or closed). */
  busy(connection: IdleConnection): void {
    this.idle.delete(connection);
  }

  /** Open connections, and pools waiting for a first one (for tests and metrics). */
  usage(): { open: number; waiting: number } {
    return { open: this.taken, waiting: this.waiting.length };
  }

  /** Pools wait for a slot that no closing connection is bringing. */
  private needsRoom(): boolean {
    return this.waiting.length > this.leaving;
  }

  private pickIdle(): IdleConnection | undefined {
    let oldest: IdleConnection | undefined;
    for (const connection of this.idle) {
      if (connection.poolOpen() > 1) return connection;
      oldest ??= connection;
    }
    return oldest;
  }
}
