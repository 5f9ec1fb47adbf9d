import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger, redactSecrets } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'test', destination }) };
}

describe('the logger', () => {
  it('censors secrets at any depth and in any case, and keeps everything else', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        mailbox: { id: 'm1', auth: { user: 'zoe', pass: 'hunter2' }, smtp_password: 'hunter2' },
        req: { headers: { Authorization: 'Bearer ofk_secret', Cookie: 'sid=1', host: 'x' } },
        deep: { a: { b: { c: { apiKey: 'ofk_1', api_key: 'ofk_2', clientSecret: 's', token: 't' } } } },
        list: [{ password: 'p' }],
      },
      'hello',
    );
    const line = JSON.stringify(lines[0]);
    for (const secret of ['hunter2', 'ofk_secret', 'sid=1', 'ofk_1', 'ofk_2', '"s"', '"t"', '"p"']) {
      expect(line).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      msg: 'hello',
      mailbox: { id: 'm1', auth: { user: 'zoe', pass: '[redacted]' } },
      req: { headers: { host: 'x', Authorization: '[redacted]' } },
    });
  });

  it('logs errors as errors, without their secret fields', () => {
    const { lines, logger } = capture();
    const error = Object.assign(new Error('login failed'), { code: 'EAUTH', password: 'hunter2' });
    logger.warn({ err: error }, 'send failed');
    expect(lines[0]).toMatchObject({
      err: { type: 'Error', message: 'login failed', code: 'EAUTH', password: '[redacted]' },
    });
    expect(String((lines[0]?.['err'] as { stack?: string }).stack)).toContain('login failed');
  });

  it('returns an object without secrets as it is, and stops at a depth', () => {
    const plain = { a: { b: [1, 2] }, at: new Date(0), claimToken: 'c1', claim_token: 'c2' };
    expect(redactSecrets(plain)).toBe(plain);
    let deep: Record<string, unknown> = { password: 'x' };
    for (let level = 0; level < 10; level += 1) deep = { next: deep };
    expect(JSON.stringify(redactSecrets(deep))).not.toContain('"x"');
  });
});
