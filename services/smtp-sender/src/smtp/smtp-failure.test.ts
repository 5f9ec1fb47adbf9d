import { describe, expect, it } from '@jest/globals';
import { classifySmtpError } from './smtp-failure.js';

const smtpError = (fields: Record<string, unknown>) =>
  Object.assign(new Error(String(fields['response'] ?? 'x')), fields);

describe('classifySmtpError', () => {
  it('treats 4xx as temporary and 5xx as permanent, keeping the code and text', () => {
    expect(classifySmtpError(smtpError({ responseCode: 451, response: '451 4.7.1 greylisted' }))).toEqual({
      kind: 'temporary',
      smtpCode: 451,
      errorCode: '451',
      message: '451 4.7.1 greylisted',
    });
    expect(
      classifySmtpError(smtpError({ responseCode: 550, response: '550 5.1.1 unknown', afterData: false })),
    ).toMatchObject({
      kind: 'permanent',
      smtpCode: 550,
    });
  });

  it('never keeps what a remote that is not an SMTP server sent', () => {
    const http = 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>secret-instance-id</html>';
    const failure = classifySmtpError(
      Object.assign(new Error(`Invalid greeting. response=${http}`), { code: 'EPROTOCOL', response: http }),
    );
    expect(failure).toMatchObject({ kind: 'temporary', errorCode: 'EPROTOCOL' });
    expect(failure.message).toBe('the server did not answer as an SMTP server does (its reply is not shown)');
    const withoutResponse = classifySmtpError(
      Object.assign(new Error(`Invalid greeting. response=${http}`), { code: 'EPROTOCOL' }),
    );
    expect(withoutResponse.message).toBe('Invalid greeting.');
  });

  it('says that no connection was made to a refused SMTP target, and retries (the mailbox is wrong, not the recipient)', () => {
    const refused = Object.assign(new Error('port 80 is not an SMTP port this installation allows (25)'), {
      code: 'ETARGET',
    });
    expect(classifySmtpError(refused)).toEqual({
      kind: 'temporary',
      smtpCode: null,
      errorCode: 'ETARGET',
      message: 'no connection was made: port 80 is not an SMTP port this installation allows (25)',
    });
  });

  it('keeps an SMTP reply as printable text of bounded length', () => {
    const reply = `554 5.7.1 rejected\u0000\u001b[31m ${'x'.repeat(2_000)}`;
    const { message } = classifySmtpError(smtpError({ responseCode: 554, response: reply }));
    expect(message).toMatch(/^554 5\.7\.1 rejected \[31m x+$/);
    expect(message.length).toBe(1_000);
  });

  it('retries a failed login instead of bouncing the contact', () => {
    expect(classifySmtpError(smtpError({ responseCode: 535, code: 'EAUTH' })).kind).toBe('temporary');
  });

  it('calls a drop or timeout before the body was sent temporary, after it uncertain', () => {
    expect(classifySmtpError(smtpError({ code: 'ECONNECTION', afterData: false }))).toMatchObject({
      kind: 'temporary',
      errorCode: 'ECONNECTION',
    });
    expect(classifySmtpError(smtpError({ code: 'ETIMEDOUT', afterData: true }))).toMatchObject({
      kind: 'uncertain',
      errorCode: 'ETIMEDOUT',
    });
  });
});
