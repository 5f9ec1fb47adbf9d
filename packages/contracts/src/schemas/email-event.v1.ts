import { namespace, optionalUuid, timestampMillis, uuid } from './common.js';

/** The event types, in the same words as the database enum email_event_type. */
export const emailEventTypes = [
  'scheduled',
  'queued',
  'sending',
  'sent',
  'retry_scheduled',
  'failed',
  'permanent_failure',
  'uncertain',
  'cancelled',
  'dead_lettered',
  'opened',
  'clicked',
  'bounced',
  'replied',
  'unsubscribed',
] as const;

/** email-events v1: tracking and audit events about one email. */
export const emailEventV1 = {
  type: 'record',
  name: 'EmailEvent',
  namespace,
  doc: 'Keyed by email_id (or the event id when there is no email).',
  fields: [
    { name: 'event_id', type: uuid },
    { name: 'email_id', type: optionalUuid, default: null },
    { name: 'type', type: { type: 'enum', name: 'EmailEventType', symbols: emailEventTypes } },
    { name: 'sequence_id', type: optionalUuid, default: null },
    { name: 'contact_id', type: optionalUuid, default: null },
    { name: 'mailbox_id', type: optionalUuid, default: null },
    { name: 'occurred_at', type: timestampMillis },
    { name: 'metadata', type: { type: 'map', values: 'string' }, default: {} },
  ],
} as const;
