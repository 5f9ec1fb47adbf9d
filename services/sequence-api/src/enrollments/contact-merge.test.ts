import { describe, expect, it } from '@jest/globals';
import { conflictingValues } from './contact-merge.js';

describe('conflictingValues', () => {
  const stored = { first_name: 'Ada', last_name: null, company: 'Analytical', fields: { plan: 'pro', seats: 3 } };

  it('names each given value that differs from a stored one', () => {
    expect(
      conflictingValues(stored, { first_name: 'Eve', company: 'Analytical', fields: { plan: 'free', seats: 3 } }),
    ).toEqual(['first_name', 'fields.plan']);
  });

  it('has no conflict where the contact had no value, or the request gave none', () => {
    expect(conflictingValues(stored, { last_name: 'Lovelace', fields: { region: 'EU' } })).toEqual([]);
    expect(conflictingValues(stored, { first_name: null, company: undefined })).toEqual([]);
  });

  it('compares values by type too: the number 3 is not the string "3"', () => {
    expect(conflictingValues(stored, { fields: { seats: '3' } })).toEqual(['fields.seats']);
  });

  it('treats a stored custom field set to null as a stored value', () => {
    expect(conflictingValues({ fields: { note: null } }, { fields: { note: 'x' } })).toEqual(['fields.note']);
  });
});
