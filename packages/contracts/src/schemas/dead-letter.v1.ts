import { namespace, timestampMillis } from './common.js';

/** The dead-letter topic v1: a message a consumer could not decode or process, kept whole with the reason. */
export const deadLetterV1 = {
  type: 'record',
  name: 'DeadLetter',
  namespace,
  doc: 'Keyed like the original message.',
  fields: [
    { name: 'source_topic', type: 'string' },
    { name: 'source_partition', type: 'int' },
    { name: 'source_offset', type: 'string', doc: 'Kafka offsets are int64; kept as text.' },
    { name: 'consumer_group', type: 'string' },
    { name: 'key', type: ['null', 'bytes'], default: null },
    { name: 'value', type: ['null', 'bytes'], default: null },
    { name: 'headers', type: { type: 'map', values: 'string' }, default: {} },
    { name: 'error_code', type: 'string', doc: 'e.g. DECODE_FAILED, INVALID_PAYLOAD, HANDLER_FAILED.' },
    { name: 'error_message', type: 'string' },
    { name: 'failed_at', type: timestampMillis },
  ],
} as const;
