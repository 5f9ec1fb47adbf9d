import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nodemailer, { type Transporter } from 'nodemailer';
import { startSmtpSink, type SmtpSink } from '../src/index.js';

interface SmtpClientError extends Error {
  responseCode?: number;
  response?: string;
  code?: string;
}

async function sendError(run: () => Promise<unknown>): Promise<SmtpClientError> {
  try {
    await run();
  } catch (error) {
    return error as SmtpClientError;
  }
  throw new Error('expected the send to fail');
}

describe('the SMTP sink', () => {
  let sink: SmtpSink;
  let transport: Transporter;

  beforeAll(async () => {
    sink = await startSmtpSink();
    transport = nodemailer.createTransport({
      host: sink.host,
      port: sink.port,
      secure: false,
      ignoreTLS: true,
      auth: { user: 'mailbox-1', pass: 'secret' },
      connectionTimeout: 2_000,
      greetingTimeout: 2_000,
      socketTimeout: 1_500,
    });
  });
  afterEach(() => {
    sink.clearFaults();
    sink.clear();
  });
  afterAll(async () => {
    transport?.close();
    await sink?.stop();
  });

  const send = (to: string, subject = 'Hello', headers: Record<string, string> = {}) =>
    transport.sendMail({ from: 'Sender <sender@outflow.test>', to, subject, text: `Body for ${to}`, headers });

  it('receives a message and reads it back decoded', async () => {
    const info = await send('alice@example.com', 'Grüße from Outflow', { 'X-Outflow-Email-Id': 'email-1' });
    expect(info.response).toMatch(/^250 OK: queued as sink-\d+/);
    const [message] = await sink.waitForMessages(1);
    expect(message?.to).toEqual(['alice@example.com']);
    expect(message?.from).toBe('sender@outflow.test');
    expect(message?.authUser).toBe('mailbox-1');
    expect(message?.headers['x-outflow-email-id']).toBe('email-1');
    const parsed = await sink.parse(message!);
    expect(parsed.subject).toBe('Grüße from Outflow');
    expect(parsed.text?.trim()).toBe('Body for alice@example.com');
  });

  it('answers 451 to a recipient and the client sees the code; the next send after the fault is used up succeeds', async () => {
    sink.addFault({ recipient: 'grey@example.com', action: { type: 'reply', code: 451 }, times: 2 });
    for (let i = 0; i < 2; i++) {
      const error = await sendError(() => send('grey@example.com'));
      expect(error.responseCode).toBe(451);
      expect(error.response).toMatch(/^451 /);
    }
    await send('grey@example.com');
    expect(sink.messages.map((message) => message.to[0])).toEqual(['grey@example.com']);
    expect(sink.attempts.map((attempt) => attempt.outcome)).toEqual([451, 451, 250]);
  });

  it('answers 550 with its text, and the message is not stored', async () => {
    sink.addFault({
      recipient: 'nobody@example.com',
      action: { type: 'reply', code: 550, message: '5.1.1 User unknown' },
    });
    const error = await sendError(() => send('nobody@example.com'));
    expect(error.responseCode).toBe(550);
    expect(error.response).toContain('5.1.1 User unknown');
    expect(sink.messages).toHaveLength(0);
  });

  it('rejects one message by header after DATA, leaving others to the same recipient alone', async () => {
    sink.addFault({ header: { name: 'X-Outflow-Email-Id', value: 'bad-1' }, action: { type: 'reply', code: 554 } });
    const error = await sendError(() => send('bob@example.com', 'one', { 'X-Outflow-Email-Id': 'bad-1' }));
    expect(error.responseCode).toBe(554);
    await send('bob@example.com', 'two', { 'X-Outflow-Email-Id': 'good-2' });
    expect(sink.messages.map((message) => message.headers['x-outflow-email-id'])).toEqual(['good-2']);
  });

  it('drops the connection after DATA without a reply', async () => {
    sink.addFault({ recipient: 'drop@example.com', stage: 'data', action: { type: 'drop' } });
    const error = await sendError(() => send('drop@example.com'));
    expect(error.responseCode).toBeUndefined();
    expect(error.code).toMatch(/ECONNECTION|ESOCKET|EPROTOCOL/);
    expect(sink.messages).toHaveLength(0);
    expect(sink.attempts.at(-1)?.outcome).toBe('drop');
  });

  it('stalls a reply until the client gives up', async () => {
    sink.addFault({ recipient: 'slow@example.com', stage: 'data', action: { type: 'stall' } });
    const error = await sendError(() => send('slow@example.com'));
    expect(error.code).toMatch(/ETIMEDOUT|ECONNECTION|ESOCKET/);
    expect(sink.messages).toHaveLength(0);
  });
});
