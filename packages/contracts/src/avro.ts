/**
 * Just enough of Avro's schema language, as TypeScript literal types, to derive each message's TypeScript type
 * from its schema: the schema is the single source of truth, so the type and the bytes cannot drift apart.
 */
type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'string' | 'bytes';

interface AvroField {
  readonly name: string;
  readonly type: AvroSchema;
  readonly doc?: string;
  readonly default?: unknown;
}

export interface AvroRecord {
  readonly type: 'record';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
}

interface AvroEnum {
  readonly type: 'enum';
  readonly name: string;
  readonly symbols: readonly string[];
}

interface AvroArray {
  readonly type: 'array';
  readonly items: AvroSchema;
}

interface AvroMap {
  readonly type: 'map';
  readonly values: AvroSchema;
}

/** A primitive with a logical type annotation; values keep the primitive's representation. */
interface AvroLogical {
  readonly type: 'int' | 'long' | 'string';
  readonly logicalType: string;
}

type AvroSchema = AvroPrimitive | AvroRecord | AvroEnum | AvroArray | AvroMap | AvroLogical | readonly AvroSchema[];

/** The JavaScript value avsc reads and writes for a schema (unions unwrapped, longs as numbers). */
export type AvroValue<S> = S extends 'null'
  ? null
  : S extends 'boolean'
    ? boolean
    : S extends 'int' | 'long' | 'float' | 'double'
      ? number
      : S extends 'string'
        ? string
        : S extends 'bytes'
          ? Buffer
          : S extends readonly (infer Member)[]
            ? AvroValue<Member>
            : S extends { readonly type: 'record'; readonly fields: readonly AvroField[] }
              ? { -readonly [F in S['fields'][number] as F['name']]: AvroValue<F['type']> }
              : S extends { readonly type: 'enum'; readonly symbols: readonly (infer Symbol)[] }
                ? Symbol
                : S extends { readonly type: 'array'; readonly items: infer Items }
                  ? AvroValue<Items>[]
                  : S extends { readonly type: 'map'; readonly values: infer Values }
                    ? Record<string, AvroValue<Values>>
                    : S extends { readonly type: 'int' | 'long' }
                      ? number
                      : S extends { readonly type: 'string' }
                        ? string
                        : never;
