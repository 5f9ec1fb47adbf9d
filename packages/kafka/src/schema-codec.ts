import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { subjectOf, topicContracts, topicNames, type PayloadOf, type TopicName } from '@outflow/contracts';
import { AppError } from '@outflow/runtime';
import { logicalTypes } from './uuid-logical-type.js';

/** Confluent wire format: magic byte 0, schema id (int32 big-endian), Avro body. */
const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

export interface SchemaCodec {
  /** Registers every topic's current schema (idempotent: the same schema gets the same id). */
  registerAll(): Promise<void>;
  encode<T extends TopicName>(topic: T, payload: PayloadOf<T>): Buffer;
  /**
   * Decodes with the topic's current schema as reader, resolving from whichever registered writer schema the
   * message names. Throws a non-retryable AppError (DECODE_FAILED / INVALID_PAYLOAD) for bytes that are not a
   * valid message of this topic, and a retryable one when the registry cannot be reached.
   */
  decode<T extends TopicName>(topic: T, value: Buffer | null): Promise<PayloadOf<T>>;
}

export interface CreateSchemaCodecOptions {
  registryUrl: string;
}

function invalidPaths(type: avro.Type, payload: unknown): string[] {
  const paths: string[] = [];
  type.isValid(payload, { errorHook: (path) => paths.push(path.join('.') || '(root)') });
  return paths;
}

export function createSchemaCodec(options: CreateSchemaCodecOptions): SchemaCodec {
  const registry = new SchemaRegistry({ host: options.registryUrl, retry: { retries: 3 } });
  const readerTypes = new Map<TopicName, avro.Type>(
    topicNames.map((topic) => [
      topic,
      avro.Type.forSchema(topicContracts[topic].schema as avro.Schema, { logicalTypes }),
    ]),
  );
  const schemaIds = new Map<TopicName, number>();
  // Writer schemas by id, and resolvers per (topic, writer id): built once, so decoding stays cheap.
  const writerTypes = new Map<number, Promise<avro.Type>>();
  const resolvers = new Map<string, ReturnType<avro.Type['createResolver']> | null>();

  const writerType = (id: number): Promise<avro.Type> => {
    let pending = writerTypes.get(id);
    if (!pending) {
      // The client returns AVRO schemas already parsed (by its own copy of avsc); re-parse the plain schema so
      // resolvers are built by ours.
      pending = registry
        .getSchema(id)
        .then((parsed) => avro.Type.forSchema((parsed as unknown as avro.Type).schema({ exportAttrs: true })));
      pending.catch(() => writerTypes.delete(id));
      writerTypes.set(id, pending);
    }
    return pending;
  };

  return {
    async registerAll() {
      for (const topic of topicNames) {
        const { id } = await registry.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(topicContracts[topic].schema) },
          { subject: subjectOf(topic) },
        );
        schemaIds.set(topic, id);
      }
    },
    encode(topic, payload) {
      const id = schemaIds.get(topic);
      if (id === undefined) throw new Error(`schema for ${topic} is not registered: call registerAll() first`);
      const type = readerTypes.get(topic)!;
      const problems = invalidPaths(type, payload);
      if (problems.length > 0) {
        throw new AppError(
          'INVALID_PAYLOAD',
          `payload for ${topic} does not match its schema at: ${problems.join(', ')}`,
          {
            retryable: false,
          },
        );
      }
      const header = Buffer.alloc(HEADER_BYTES);
      header.writeUInt8(MAGIC_BYTE, 0);
      header.writeInt32BE(id, 1);
      return Buffer.concat([header, type.toBuffer(payload)]);
    },
    async decode(topic, value) {
      if (!value || value.length < HEADER_BYTES || value.readUInt8(0) !== MAGIC_BYTE) {
        throw new AppError('DECODE_FAILED', `message on ${topic} is not in the schema registry wire format`, {
          retryable: false,
        });
      }
      const id = value.readInt32BE(1);
      let writer: avro.Type;
      try {
        writer = await writerType(id);
      } catch (error) {
        const status = (error as { status?: number }).status;
        const notFound = status === 404 || /not found/i.test(error instanceof Error ? error.message : '');
        throw new AppError(
          notFound ? 'DECODE_FAILED' : 'REGISTRY_UNAVAILABLE',
          notFound
            ? `schema id ${id} of a message on ${topic} is unknown to the registry`
            : `schema registry unreachable: ${String(error)}`,
          { retryable: !notFound, cause: error },
        );
      }
      const reader = readerTypes.get(topic)!;
      const resolverKey = `${topic}:${id}`;
      let resolver = resolvers.get(resolverKey);
      if (resolver === undefined) {
        try {
          resolver = reader.equals(writer) ? null : reader.createResolver(writer);
        } catch (error) {
          throw new AppError(
            'DECODE_FAILED',
            `schema id ${id} cannot be read as a ${topic} message: ${String(error)}`,
            {
              retryable: false,
              cause: error,
            },
          );
        }
        resolvers.set(resolverKey, resolver);
      }
      try {
        const body = value.subarray(HEADER_BYTES);
        return (resolver ? reader.fromBuffer(body, resolver) : reader.fromBuffer(body)) as PayloadOf<typeof topic>;
      } catch (error) {
        throw new AppError('DECODE_FAILED', `message on ${topic} could not be decoded: ${String(error)}`, {
          retryable: false,
          cause: error,
        });
      }
    },
  };
}
