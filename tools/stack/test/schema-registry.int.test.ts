import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { subjectOf, topicContracts, topicNames } from '@outflow/contracts';
import { startSchemaRegistry, type SchemaRegistryServer } from '../src/index.js';

const avro = (schema: unknown) => ({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }) as const;

describe('the dev schema registry, through the real client', () => {
  let server: SchemaRegistryServer;
  let registry: SchemaRegistry;

  beforeAll(async () => {
    server = await startSchemaRegistry();
    registry = new SchemaRegistry({ host: server.url });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('registers every topic schema, returns the same id on re-registration, and serves it back', async () => {
    for (const topic of topicNames) {
      const schema = avro(topicContracts[topic].schema);
      const { id } = await registry.register(schema, { subject: subjectOf(topic) });
      const again = await registry.register(schema, { subject: subjectOf(topic) });
      expect(again.id).toBe(id);
      expect(await registry.getLatestSchemaId(subjectOf(topic))).toBe(id);
      expect(await registry.getRegistryIdBySchema(subjectOf(topic), schema)).toBe(id);
      const encoded = await registry.encode(id, sampleFor(topic));
      expect(await registry.decode(encoded)).toEqual(sampleFor(topic));
    }
  });

  it('rejects a breaking change to a topic schema with 409, and accepts a compatible one', async () => {
    const subject = subjectOf('email-jobs');
    const current = topicContracts['email-jobs'].schema;
    // A new required field without a default: old messages cannot be read with it.
    const breaking = { ...current, fields: [...current.fields, { name: 'priority', type: 'int' }] };
    await expect(registry.register(avro(breaking), { subject })).rejects.toThrow(/incompatible/);
    // The same field with a default is a compatible evolution.
    const compatible = { ...current, fields: [...current.fields, { name: 'priority', type: 'int', default: 0 }] };
    const { id } = await registry.register(avro(compatible), { subject });
    expect(await registry.getLatestSchemaId(subject)).toBe(id);
  });

  it('refuses connections during an outage and comes back at the same address with what it had', async () => {
    const subject = subjectOf('followup-events');
    const schema = avro(topicContracts['followup-events'].schema);
    const { id } = await registry.register(schema, { subject });
    await server.goDown();
    await expect(fetch(`${server.url}/schemas/ids/${id}`)).rejects.toThrow();
    await server.comeBack();
    // The lookup a service restarted during the outage makes (by plain HTTP: the client's keep-alive socket from
    // before the outage may hang up once, which its retries absorb).
    const response = await fetch(`${server.url}/subjects/${encodeURIComponent(subject)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: schema.schema, schemaType: 'AVRO' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ subject, id });
  });

  it('answers unknown subjects and schemas the way the client expects', async () => {
    await expect(registry.getLatestSchemaId('no-such-subject')).rejects.toThrow(/not found/i);
    await expect(registry.getSchema(9_999)).rejects.toThrow(/not found/i);
  });
});

function sampleFor(topic: (typeof topicNames)[number]): Record<string, unknown> {
  const id = '3f0c5d4e-8a1b-4c2d-9e3f-0a1b2c3d4e5f';
  const samples: Record<string, Record<string, unknown>> = {
    'email-jobs': {
      email_id: id,
      claim_token: id,
      batch_id: id,
      mailbox_id: id,
      sequence_id: id,
      sequence_contact_id: id,
      contact_id: id,
      step_order: 1,
      scheduled_for: 1,
      claimed_at: 2,
    },
    'followup-events': {
      event_id: id,
      email_id: id,
      sequence_id: id,
      sequence_contact_id: id,
      contact_id: id,
      mailbox_id: id,
      step_order: 1,
      sent_at: 3,
    },
    'email-retries': {
      event_id: id,
      email_id: id,
      sequence_contact_id: id,
      claim_token: id,
      attempt: 1,
      failure_kind: 'permanent',
      smtp_code: 550,
      error_code: '550',
      error_message: 'no such user',
      failed_at: 4,
    },
    'email-events': {
      event_id: id,
      email_id: null,
      type: 'opened',
      sequence_id: null,
      contact_id: null,
      mailbox_id: null,
      occurred_at: 5,
      metadata: {},
    },
    'outflow-dead-letters': {
      source_topic: 'email-jobs',
      source_partition: 0,
      source_offset: '1',
      consumer_group: 'g',
      key: null,
      value: null,
      headers: {},
      error_code: 'DECODE_FAILED',
      error_message: 'x',
      failed_at: 6,
    },
  };
  return samples[topic]!;
}
