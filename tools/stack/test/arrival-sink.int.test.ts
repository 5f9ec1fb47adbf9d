import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from '@jest/globals';
import nodemailer from 'nodemailer';
import { startArrivalSink, until, type ArrivalSink } from '../src/index.js';

/** A raw SMTP client: writes what it is given and collects every reply, so a test can wait for one. */
async function rawClient(sink: ArrivalSink, options: { allowHalfOpen?: boolean } = {}) {
  const socket: Socket = connect({ port: sink.port, host: sink.host, allowHalfOpen: options.allowHalfOpen ?? false });
  await once(socket, 'connect');
  let received = '';
  const listeners = new Set<() => void>();
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
    for (const listener of [...listeners]) listener();
  });
  const closed = once(socket, 'close');
  return {
    write: (text: string) => socket.write(text),
    /** Resolves with every reply so far once they contain `text`. */
    waitFor: (text: string) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          if (!received.includes(text)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(received);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no reply containing ${JSON.stringify(text)}; got ${JSON.stringify(received)}`));
        }, 5_000);
        listeners.add(check);
        check();
      }),
    closed,
    end: () => socket.end(),
    destroy: () => socket.destroy(),
  };
}

describe('the bench arrival sink', () => {
  let sink: ArrivalSink | undefined;
  afterEach(async () => {
    await sink?.stop();
    sink = undefined;
  });

  it('records the id header and arrival time of each message sent over pooled connections', async () => {
    sink = await startArrivalSink({ idHeader: 'X-Outflow-Email-Id' });
    const transport = nodemailer.createTransport({
      host: sink.host,
      port: sink.port,
      pool: true,
      maxConnections: 3,
      ignoreTLS: true,
    });
    const before = Date.now();
    try {
      const infos = await Promise.all(
        Array.from({ length: 30 }, (_, n) =>
          transport.sendMail({
            from: 'sender@outflow.test',
            to: `contact-${n}@example.com`,
            subject: 'Hello',
            text: `Body ${n}\n.\n..starts with dots`,
            headers: { 'X-Outflow-Email-Id': `email-${n}` },
          }),
        ),
      );
      for (const info of infos) expect(info.response).toMatch(/^250 2\.0\.0 OK: queued as bench-\d+$/);
    } finally {
      transport.close();
    }
    const arrivals = await sink.waitForArrivals(30);
    expect(arrivals.map((arrival) => arrival.id).sort()).toEqual(
      Array.from({ length: 30 }, (_, n) => `email-${n}`).sort(),
    );
    for (const arrival of arrivals) {
      expect(arrival.at).toBeGreaterThanOrEqual(before);
      expect(arrival.at).toBeLessThanOrEqual(Date.now());
    }
    expect(sink.connections().peak).toBe(3);
  });

  it('answers pipelined commands in order and finds a message whose end is split across writes', async () => {
    sink = await startArrivalSink({ idHeader: 'X-Outflow-Email-Id' });
    const client = await rawClient(sink);
    await client.waitFor('220 ');
    client.write('EHLO client.test\r\nMAIL FROM:<a@outflow.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n');
    await client.waitFor('354 ');
    // The id header in another case and folded over two lines; a dot-stuffed body line; the end split in two.
    client.write('Subject: split\r\nx-outflow-EMAIL-id:\r\n  email-42\r\n\r\n..stuffed\r\nlast line\r\n.');
    client.write('\r\nQUIT\r\n');
    const replies = await client.waitFor('221 ');
    await client.closed;
    expect(replies.split('\r\n').filter(Boolean)).toEqual([
      '220 outflow-bench-sink ESMTP',
      '250-outflow-bench-sink',
      '250-PIPELINING',
      '250-8BITMIME',
      '250-SMTPUTF8',
      '250 SIZE 10485760',
      '250 2.1.0 OK',
      '250 2.1.5 OK',
      '354 End data with <CR><LF>.<CR><LF>',
      '250 2.0.0 OK: queued as bench-1',
      '221 2.0.0 Bye',
    ]);
    expect(sink.arrivals.map((arrival) => arrival.id)).toEqual(['email-42']);
  });

  it('stops counting a connection when its QUIT is answered, before the client closes its side', async () => {
    sink = await startArrivalSink({ idHeader: 'X-Outflow-Email-Id' });
    // The client keeps its side open after the sink's 221 and FIN, so the socket stays open until it ends it.
    const client = await rawClient(sink, { allowHalfOpen: true });
    const other = await rawClient(sink);
    await client.waitFor('220 ');
    await other.waitFor('220 ');
    expect(sink.connections()).toEqual({ open: 2, peak: 2 });
    client.write('EHLO client.test\r\nQUIT\r\n');
    await client.waitFor('221 ');
    expect(sink.connections()).toEqual({ open: 1, peak: 2 });
    client.end();
    await client.closed;
    other.destroy();
    await other.closed;
    await until(() => sink!.connections().open === 0);
    expect(sink.connections()).toEqual({ open: 0, peak: 2 });
  });

  it('refuses commands out of order, unknown commands and a message over the size limit, and goes on', async () => {
    sink = await startArrivalSink({ idHeader: 'X-Outflow-Email-Id', maxMessageBytes: 200 });
    const client = await rawClient(sink);
    await client.waitFor('220 ');
    client.write('HELO client.test\r\nRCPT TO:<b@example.com>\r\nDATA\r\nHELP\r\nMAIL FROM:<a@outflow.test>\r\n');
    client.write('MAIL FROM:<a@outflow.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n');
    await client.waitFor('354 ');
    client.write(`X-Outflow-Email-Id: too-big\r\n\r\n${'x'.repeat(150)}\r\n`);
    client.write(`${'y'.repeat(5_000)}\r\n.\r\n`);
    await client.waitFor('552 ');
    // The connection is usable after the refusal: an empty message (the lone dot) is accepted, with no id.
    client.write('MAIL FROM:<a@outflow.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n.\r\nRSET\r\nNOOP\r\n');
    const replies = await client.waitFor('queued as');
    await client.waitFor('250 2.0.0 OK\r\n250 2.0.0 OK\r\n');
    client.destroy();
    expect(replies.split('\r\n').filter(Boolean).slice(1, 10)).toEqual([
      '250 outflow-bench-sink',
      '503 5.5.1 Error: need MAIL command',
      '503 5.5.1 Error: need RCPT command',
      '500 5.5.2 Error: command not recognized',
      '250 2.1.0 OK',
      '503 5.5.1 Error: nested MAIL command',
      '250 2.1.5 OK',
      '354 End data with <CR><LF>.<CR><LF>',
      '552 5.3.4 Error: message exceeds fixed maximum message size',
    ]);
    expect(sink.arrivals).toEqual([{ id: undefined, at: expect.any(Number) }]);
  });

  it('closes a connection that sends a command line longer than any SMTP command', async () => {
    sink = await startArrivalSink({ idHeader: 'X-Outflow-Email-Id' });
    const client = await rawClient(sink);
    await client.waitFor('220 ');
    client.write(`EHLO ${'a'.repeat(5_000)}`);
    await client.waitFor('500 5.5.6 Error: line too long');
    // The sink ends the connection: the client sees it close without closing it itself.
    await client.closed;
  });

  it('says how many messages came when waiting for more times out', async () => {
    sink = await startArrivalSink({ idHeader: 'X-Outflow-Email-Id' });
    await expect(sink.waitForArrivals(1, 50)).rejects.toThrow(
      'expected 1 messages at the bench sink within 50 ms, got 0',
    );
  });
});
