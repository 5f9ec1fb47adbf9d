import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSmtpSink, until, type SmtpSink } from '@outflow/stack';
import { composeMessage } from '../src/smtp/compose-message.js';
import { ConnectionBudget } from '../src/smtp/connection-budget.js';
import { MailboxConnectionPool, type SendError } from '../src/smtp/mailbox-connection-pool.js';
import { classifySmtpError } from '../src/smtp/smtp-failure.js';

/** These tests' SMTP servers run on this machine: development's policy, which allows them. */
const anyTarget = { anyTarget: true, ports: new Set<number>(), networks: [] };

/** A pool of one plain connection to a sink, without credentials. */
const oneConnectionTo = (sink: SmtpSink, timeoutMs: number) => ({
  host: sink.host,
  port: sink.port,
  secure: false,
  targets: anyTarget,
  size: 1,
  timeoutMs,
});

describe('MailboxConnectionPool against a real SMTP server', () => {
  let sink: SmtpSink;
  let pool: MailboxConnectionPool;

  beforeAll(async () => {
    sink = await startSmtpSink();
    pool = new MailboxConnectionPool({
      host: sink.host,
      port: sink.port,
      secure: false,
      targets: anyTarget,
      auth: { user: 'box', pass: 'pw', cleartext: true }, // the sink offers no TLS: a local test server
      size: 2,
      timeoutMs: 1_000,
    });
  });
  afterAll(async () => {
    pool?.close();
    await sink?.stop();
  });

  const compose = (to: string) =>
    composeMessage({
      from: { address: 'box@outflow.test' },
      to,
      subject: `to ${to}`,
      text: 'hi',
      messageId: `<${to}@outflow.test>`,
      headers: {},
    });
  const send = async (to: string, through = pool) => {
    const mail = await compose(to);
    return through.send(mail.envelope, mail.raw);
  };
  const failure = async (to: string): Promise<SendError> => {
    try {
      await send(to);
    } catch (error) {
      return error as SendError;
    }
    throw new Error('expected the send to fail');
  };

  it('sends more messages than it has connections, all delivered, logged in', async () => {
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => send(`many${i}@example.com`)));
    expect(results.every((result) => result.response.startsWith('250'))).toBe(true);
    expect(sink.messages.filter((m) => m.to[0]!.startsWith('many'))).toHaveLength(7);
    expect(sink.messages.every((m) => m.authUser === 'box')).toBe(true);
  });

  it('never sends credentials to a server that offers no TLS unless told to, and fails with ETLS, retryably', async () => {
    sink.clear();
    const strict = new MailboxConnectionPool({
      host: sink.host,
      port: sink.port,
      secure: false,
      targets: anyTarget,
      auth: { user: 'careful', pass: 'never-in-clear' },
      size: 1,
      timeoutMs: 1_000,
    });
    try {
      const mail = await compose('tls-required@example.com');
      const error = await strict.send(mail.envelope, mail.raw).then(
        () => undefined,
        (failed: unknown) => failed as SendError,
      );
      expect(error?.code).toBe('ETLS');
      expect(classifySmtpError(error)).toMatchObject({ kind: 'temporary', errorCode: 'ETLS' });
      expect(classifySmtpError(error).message).toMatch(/neither its credentials nor the message were sent/);
      expect(sink.logins).toEqual([]);
      expect(sink.messages.filter((m) => m.to[0] === 'tls-required@example.com')).toHaveLength(0);
    } finally {
      strict.close();
    }
    // Without credentials nothing secret is at stake: plain SMTP stays allowed.
    const anonymous = new MailboxConnectionPool({
      host: sink.host,
      port: sink.port,
      secure: false,
      targets: anyTarget,
      size: 1,
      timeoutMs: 1_000,
    });
    try {
      const mail = await compose('anonymous@example.com');
      expect((await anonymous.send(mail.envelope, mail.raw)).response).toMatch(/^250/);
    } finally {
      anonymous.close();
    }
  });

  it('tells a failure before the body (retryable) from one after it (the server may have the message)', async () => {
    sink.addFault({ recipient: 'rcpt-drop@example.com', action: { type: 'drop' } });
    sink.addFault({ recipient: 'data-drop@example.com', stage: 'data', action: { type: 'drop' } });
    sink.addFault({ recipient: 'data-stall@example.com', stage: 'data', action: { type: 'stall' } });
    sink.addFault({ recipient: 'greylisted@example.com', action: { type: 'reply', code: 451 } });
    expect(await failure('rcpt-drop@example.com')).toMatchObject({ afterData: false });
    expect(await failure('data-drop@example.com')).toMatchObject({ afterData: true });
    expect(await failure('data-stall@example.com')).toMatchObject({ afterData: true, code: 'ETIMEDOUT' });
    expect(await failure('greylisted@example.com')).toMatchObject({ afterData: false, responseCode: 451 });
  });

  it('keeps working after failures: broken connections are replaced, not reused', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => send(`after${i}@example.com`)));
    expect(results).toHaveLength(4);
    expect(sink.messages.filter((m) => m.to[0]!.startsWith('after'))).toHaveLength(4);
  });

  it('sends on another connection when the reserved one closed before the send (its idle timeout came first)', async () => {
    const quiet = await startSmtpSink();
    // A short socket timeout: the reserved connection sits idle (as while the email is marked sending) and the
    // client closes it.
    const shortLived = new MailboxConnectionPool(oneConnectionTo(quiet, 200));
    try {
      const slot = await shortLived.reserve();
      expect(quiet.connections().open).toBe(1);
      await until(() => quiet.connections().open === 0); // the idle connection is closed
      const mail = await compose('reserved@example.com');
      const result = await slot.send(mail.envelope, mail.raw);
      expect(result.response).toMatch(/^250/);
      expect(quiet.messages.map((message) => message.to)).toEqual([['reserved@example.com']]);
      expect(quiet.connections().peak).toBe(1);
    } finally {
      shortLived.close();
      await quiet.stop();
    }
  });

  it('fails that send as before when no other connection comes within the SMTP timeout (its lease is running)', async () => {
    const quiet = await startSmtpSink();
    const budget = new ConnectionBudget(1);
    const settings = { ...oneConnectionTo(quiet, 200), budget };
    const first = new MailboxConnectionPool(settings);
    // The other mailbox's connection outlives the test's waits: its slot stays taken until it is released.
    const other = new MailboxConnectionPool({ ...settings, timeoutMs: 10_000 });
    try {
      const slot = await first.reserve();
      // The other mailbox waits for the only slot, and takes it when the reserved connection times out.
      const otherSlot = await other.reserve();
      const mail = await compose('stranded@example.com');
      const started = Date.now();
      const failed = await slot.send(mail.envelope, mail.raw).then(
        () => undefined,
        (error: unknown) => error as SendError & { command?: string },
      );
      expect(failed).toMatchObject({ code: 'ECONNECTION', command: 'API' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(quiet.messages).toHaveLength(0);
      // The slot the first mailbox asked for comes once the other gives it back: it waits in that pool, unused.
      otherSlot.release();
      const later = await first.reserve();
      later.release();
      expect(budget.usage()).toEqual({ open: 1, waiting: 0 });
    } finally {
      first.close();
      other.close();
      await quiet.stop();
    }
  });

  it('keeps every mailbox within one budget of connections, and each mailbox with work gets one', async () => {
    const budget = new ConnectionBudget(2);
    const mailboxes = ['a', 'b', 'c'].map(
      (user) =>
        new MailboxConnectionPool({
          host: sink.host,
          port: sink.port,
          secure: false,
          targets: anyTarget,
          auth: { user, pass: 'pw', cleartext: true },
          size: 2,
          timeoutMs: 1_000,
          budget,
        }),
    );
    // The connections open before (the other pool's idle ones) are not this budget's.
    const openBefore = sink.connections().open;
    sink.clear();
    try {
      const results = await Promise.all(
        mailboxes.flatMap((mailbox, m) =>
          Array.from({ length: 5 }, (_, i) => send(`budget${m}-${i}@example.com`, mailbox)),
        ),
      );
      expect(results.every((result) => result.response.startsWith('250'))).toBe(true);
      const byUser = (user: string) =>
        sink.messages.filter((m) => m.authUser === user && m.to[0]!.startsWith('budget'));
      expect([byUser('a'), byUser('b'), byUser('c')].map((messages) => messages.length)).toEqual([5, 5, 5]);
      expect(sink.connections().peak - openBefore).toBeLessThanOrEqual(2);
      expect(budget.usage()).toEqual({ open: 2, waiting: 0 });
    } finally {
      for (const mailbox of mailboxes) mailbox.close();
    }
    // Closing the pools gives every slot back, once the server has answered each QUIT.
    await until(() => budget.usage().open === 0);
    expect(budget.usage()).toEqual({ open: 0, waiting: 0 });
  });

  it('gives a slot back when the closed connection is gone, not when it is asked to QUIT', async () => {
    const server = await quitHoldingServer();
    const budget = new ConnectionBudget(1);
    const settings = {
      host: '127.0.0.1',
      port: server.port,
      secure: false,
      targets: anyTarget,
      size: 1,
      timeoutMs: 5_000,
      budget,
    };
    const first = new MailboxConnectionPool(settings);
    const other = new MailboxConnectionPool(settings);
    try {
      const mail = await compose('first@example.com');
      await first.send(mail.envelope, mail.raw);
      // The other mailbox's first connection is owed a slot: the first mailbox's idle connection is asked to QUIT.
      let otherReserved = false;
      const reserving = other.reserve().then((slot) => {
        otherReserved = true;
        return slot;
      });
      // Awaited below; a failing expectation before that must not leave its rejection unhandled.
      reserving.catch(() => undefined);
      await server.quitReceived;
      expect(server.connectionsOpen()).toBe(1);
      expect(budget.usage()).toEqual({ open: 1, waiting: 1 });
      expect(otherReserved).toBe(false);
      // Once the server answers the QUIT, the connection closes and its slot goes to the other mailbox.
      server.answerQuit();
      const slot = await reserving;
      expect(budget.usage()).toEqual({ open: 1, waiting: 0 });
      expect(server.connectionsOpened()).toBe(2);
      slot.release();
    } finally {
      first.close();
      other.close();
      server.answerQuit();
      await server.stop();
    }
  });
});

/**
 * A scripted SMTP server that accepts every message but withholds its reply to QUIT until `answerQuit`: a server
 * slow to say goodbye, so the test can look at the budget while a connection is closing.
 */
async function quitHoldingServer() {
  const sockets = new Set<Socket>();
  const held: Socket[] = [];
  let opened = 0;
  let answering = false;
  let onQuit: () => void = () => undefined;
  const quitReceived = new Promise<void>((resolve) => (onQuit = resolve));
  const server = createServer((socket) => {
    opened += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = '';
    let inData = false;
    socket.write('220 quit-holding ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = pending.indexOf('\r\n.\r\n');
          if (end === -1) return;
          pending = pending.slice(end + 5);
          inData = false;
          socket.write('250 OK\r\n');
          continue;
        }
        const lineEnd = pending.indexOf('\r\n');
        if (lineEnd === -1) return;
        const verb = pending.slice(0, 4).toUpperCase();
        pending = pending.slice(lineEnd + 2);
        if (verb === 'EHLO') socket.write('250-quit-holding\r\n250 PIPELINING\r\n');
        else if (verb === 'DATA') {
          inData = true;
          pending = `\r\n${pending}`;
          socket.write('354 go on\r\n');
        } else if (verb === 'QUIT') {
          if (answering) socket.end('221 Bye\r\n');
          else held.push(socket);
          onQuit();
        } else socket.write('250 OK\r\n');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    quitReceived,
    connectionsOpen: () => sockets.size,
    connectionsOpened: () => opened,
    answerQuit() {
      answering = true;
      for (const socket of held.splice(0)) socket.end('221 Bye\r\n');
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
