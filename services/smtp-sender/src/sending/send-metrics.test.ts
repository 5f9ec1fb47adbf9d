import { describe, expect, it } from '@jest/globals';
import { smtpFailureClass } from './send-metrics.js';

describe('smtpFailureClass', () => {
  it('counts a reply by its class, and no reply code as a connection failure', () => {
    expect(smtpFailureClass(421)).toBe('4xx');
    expect(smtpFailureClass(451)).toBe('4xx');
    expect(smtpFailureClass(550)).toBe('5xx');
    expect(smtpFailureClass(554)).toBe('5xx');
    expect(smtpFailureClass(null)).toBe('connection');
    expect(smtpFailureClass(250)).toBe('connection');
  });
});
