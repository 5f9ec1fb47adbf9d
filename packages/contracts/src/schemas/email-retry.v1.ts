import { namespace, timestampMillis, uuid } from './common.js';

/** email-retries v1: a send failed; the retry consumer reschedules it with backoff or gives up. */
export const emailRetryV1 = {
  type: 'record',
  name: 'EmailRetry',
  namespace,
  doc: 'Keyed by email_id.',
  fields: [
    { name: 'event_id', type: uuid },
    { name: 'email_id', type: uuid },
    { name: 'sequence_contact_id', type: uuid },
    { name: 'claim_token', type: uuid, doc: 'The claim whose send failed.' },
    { name: 'attempt', type: 'int', doc: 'Which hand-over to SMTP failed, from 1.' },
    {
      name: 'failure_kind',
      type: { type: 'enum', name: 'FailureKind', symbols: ['temporary', 'permanent'] },
      doc: 'temporary: 4xx, timeouts, connection errors (retried). permanent: 5xx (never retried).',
    },
    { name: 'smtp_code', type: ['null', 'int'], default: null, doc: 'The SMTP reply code, when the server replied.' },
    { name: 'error_code', type: 'string', doc: 'The SMTP code as text, or a transport code such as ETIMEDOUT.' },
    { name: 'error_message', type: 'string' },
    { name: 'failed_at', type: timestampMillis },
  ],
} as const;
