import { describe, expect, it } from '@jest/globals';
import { ParsedTemplateCache } from './parsed-template-cache.js';

describe('ParsedTemplateCache', () => {
  it('drops the least recently used entry when full', () => {
    const cache = new ParsedTemplateCache<number>(2, 1_000);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // b is now the least recently used
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
  });

  it('keeps at most its budget of characters and never a template larger than it', () => {
    const cache = new ParsedTemplateCache<number>(10, 10);
    cache.set('x'.repeat(11), 1);
    expect(cache.size).toBe(0);
    cache.set('a'.repeat(6), 1);
    cache.set('b'.repeat(6), 2);
    expect(cache.size).toBe(1);
    expect(cache.get('b'.repeat(6))).toBe(2);
  });

  it('counts a template set twice once', () => {
    const cache = new ParsedTemplateCache<number>(10, 10);
    cache.set('a'.repeat(6), 1);
    cache.set('a'.repeat(6), 2);
    cache.set('b'.repeat(4), 3);
    expect(cache.size).toBe(2);
  });
});
