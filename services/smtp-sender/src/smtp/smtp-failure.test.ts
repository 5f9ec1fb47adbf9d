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
