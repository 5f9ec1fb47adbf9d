import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import avro from 'avsc';
import { topicContracts, topicNames } from '../topics.js';

/**
 * published.json holds every schema version ever released per topic, oldest first. Messages of any of them may
 * still sit in a topic (or be replayed), so the current schema must read them all. Editing a schema without
 * appending it here fails the first test; appending an incompatible one fails the second. A breaking change
 * needs a new topic version instead.
 */
const published = JSON.parse(readFileSync(new URL('./published.json', import.meta.url), 'utf8')) as Record<
  string,
  avro.Schema[]
>;

const canonical = (schema: unknown) =>
  JSON.stringify(avro.Type.forSchema(schema as avro.Schema).schema({ exportAttrs: true }));

describe('published topic schemas', () => {
  it.each(topicNames)('%s: the current schema is the last published version', (topic) => {
    const versions = published[topic];
    expect(versions?.length).toBeGreaterThan(0);
    expect(canonical(topicContracts[topic].schema)).toBe(canonical(versions!.at(-1)));
  });

  it.each(topicNames)('%s: the current schema reads every published version', (topic) => {
    const reader = avro.Type.forSchema(topicContracts[topic].schema as avro.Schema);
    for (const version of published[topic]!) {
      expect(() => reader.createResolver(avro.Type.forSchema(version))).not.toThrow();
    }
  });

  it('catches a breaking edit: a new field without a default cannot read the published version', () => {
    const current = topicContracts['email-jobs'].schema;
    const edited = avro.Type.forSchema({
      ...current,
      fields: [...current.fields, { name: 'x', type: 'int' }],
    } as avro.Schema);
    expect(() => edited.createResolver(avro.Type.forSchema(published['email-jobs']!.at(-1)!))).toThrow();
  });
});
