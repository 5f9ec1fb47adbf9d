import { namespace, timestampMillis, uuid } from './common.js';

/** followup-events v1: a step was sent; the scheduler plans the next one (or completes the enrollment). */
export const followupEventV1 = {
  type: 'record',
  name: 'FollowupEvent',
  namespace,
  doc: 'Keyed by sequence_contact_id so one enrollment is handled in order.',
  fields: [
    { name: 'event_id', type: uuid },
    { name: 'email_id', type: uuid },
    { name: 'sequence_id', type: uuid },
    { name: 'sequence_contact_id', type: uuid },
    { name: 'contact_id', type: uuid },
    { name: 'mailbox_id', type: uuid },
    { name: 'step_order', type: 'int' },
    { name: 'sent_at', type: timestampMillis },
  ],
} as const;
