import { describe, expect, it } from '@jest/globals';
import avro from 'avsc';
import { logicalTypes } from './uuid-logical-type.js';

const id = '0b6c8f4e-7d1a-4f3e-9c2b-5a8d7e6f1c20';
const annotated = {
  type: 'record',
  name: 'Job',
  fields: [
    { name: 'email_id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'previous_id', type: ['null', { type: 'string', logicalType: 'uuid' }], default: null },
  ],
} as const;
// The same record as a writer that never had the annotation: its bytes are identical.
const plain = {
  type: 'record',
  name: 'Job',
  fields: [
    { name: 'email_id', type: 'string' },
    { name: 'previous_id', type: ['null', 'string'], default: null },
  ],
} as const;

describe('the uuid logical type', () => {
  const reader = avro.Type.forSchema(annotated as unknown as avro.Schema, { logicalTypes });
  const writer = avro.Type.forSchema(plain as unknown as avro.Schema);

  it('round-trips UUIDs as plain strings, in a field and in a union', () => {
    const job = { email_id: id, previous_id: id.toUpperCase() };
    expect(reader.fromBuffer(reader.toBuffer(job))).toEqual(job);
    expect(reader.fromBuffer(reader.toBuffer({ email_id: id, previous_id: null }))).toEqual({
      email_id: id,
      previous_id: null,
    });
  });

  it('reports a field that is not a UUID as invalid, by its path', () => {
    const paths: string[] = [];
    const valid = reader.isValid(
      { email_id: 'abc', previous_id: null },
      { errorHook: (path) => paths.push(path.join('.')) },
    );
    expect(valid).toBe(false);
    expect(paths).toEqual(['email_id']);
    expect(reader.isValid({ email_id: `${id}x`, previous_id: null })).toBe(false);
    expect(() => reader.toBuffer({ email_id: 'abc', previous_id: null })).toThrow();
  });

  it('refuses to decode a string that is not a UUID, with or without a resolver', () => {
    const bytes = writer.toBuffer({ email_id: 'abc', previous_id: null });
    expect(() => reader.fromBuffer(bytes)).toThrow(/not a UUID: "abc"/);
    const resolver = reader.createResolver(writer);
    expect(() => reader.fromBuffer(bytes, resolver)).toThrow(/not a UUID: "abc"/);
    expect(() => reader.fromBuffer(writer.toBuffer({ email_id: id, previous_id: 'nope' }), resolver)).toThrow(
      /not a UUID: "nope"/,
    );
    expect(reader.fromBuffer(writer.toBuffer({ email_id: id, previous_id: null }), resolver)).toEqual({
      email_id: id,
      previous_id: null,
    });
  });
});
