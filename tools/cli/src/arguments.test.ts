import { describe, expect, it } from '@jest/globals';
import { ageInDays, listOf, pointInTime, uuidOf, wholeNumber } from './arguments.js';

describe('pointInTime', () => {
  const parse = pointInTime(() => Date.parse('2026-12-07T12:00:00Z'));

  it('reads a duration back from now', () => {
    expect(parse('90m').toISOString()).toBe('2026-12-07T10:30:00.000Z');
    expect(parse('24h').toISOString()).toBe('2026-12-06T12:00:00.000Z');
    expect(parse('7d').toISOString()).toBe('2026-11-30T12:00:00.000Z');
  });

  it('reads ISO 8601 times, a date alone as midnight UTC', () => {
    expect(parse('2026-12-01T09:00:00Z').toISOString()).toBe('2026-12-01T09:00:00.000Z');
    expect(parse('2026-12-01T09:00:00+01:00').toISOString()).toBe('2026-12-01T08:00:00.000Z');
    expect(parse('2026-12-01').toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });

  it('refuses anything else, naming both forms', () => {
    for (const value of ['yesterday', '7 days', '12/01/2026', '2026-13-01', '5s', '']) {
      expect(() => parse(value)).toThrow('must be an ISO 8601 time (2026-12-01T09:00:00Z) or a duration back');
    }
  });
});

describe('uuidOf and wholeNumber', () => {
  it('accept what they name and refuse the rest', () => {
    expect(uuidOf('an email id')('3F6A2D10-8C4B-4E1F-A7D2-5B9E0C1F2A38')).toBe('3f6a2d10-8c4b-4e1f-a7d2-5b9e0c1f2a38');
    expect(() => uuidOf('an email id')('3f6a2d10')).toThrow('not an email id (a UUID)');
    expect(wholeNumber(1, 10)('10')).toBe(10);
    expect(() => wholeNumber(1, 10)('11')).toThrow('from 1 to 10');
    expect(() => wholeNumber(1, 10)('1.5')).toThrow('from 1 to 10');
  });
});

describe('ageInDays and listOf', () => {
  it('read 30d and a comma-separated subset, and refuse the rest', () => {
    expect(ageInDays(1)('30d')).toBe(30);
    for (const value of ['0d', '30', '2w', '-1d']) expect(() => ageInDays(1)(value)).toThrow('written like 30d');
    const kinds = listOf(['audit', 'batches'] as const);
    expect(kinds('batches, audit,batches')).toEqual(['batches', 'audit']);
    expect(() => kinds('audit,outbox')).toThrow('takes some of audit, batches');
  });
});
