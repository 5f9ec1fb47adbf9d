/** Shared field types. Timestamps are epoch milliseconds; ids are UUID strings. */
export const uuid = { type: 'string', logicalType: 'uuid' } as const;
export const timestampMillis = { type: 'long', logicalType: 'timestamp-millis' } as const;
export const optionalUuid = ['null', uuid] as const;

export const namespace = 'dev.outflow.v1';
