import { namespace, timestampMillis, uuid } from './common.js';

/** email-jobs v1: one scheduled email the producer claimed; the sender acts only if claim_token still matches. */
export const emailJobV1 = {
  type: 'record',
  name: 'EmailJob',
  namespace,
  doc: 'A claimed email to send. Keyed by mailbox_id so one mailbox is paced and ordered on one partition.',
  fields: [
    { name: 'email_id', type: uuid },
    { name: 'claim_token', type: uuid, doc: 'The claim this message was published for; a stale token sends nothing.' },
    { name: 'batch_id', type: uuid, doc: 'The kafka_batches row this message was published in.' },
    { name: 'mailbox_id', type: uuid },
    { name: 'sequence_id', type: uuid },
    { name: 'sequence_contact_id', type: uuid },
    { name: 'contact_id', type: uuid },
    { name: 'step_order', type: 'int' },
    { name: 'scheduled_for', type: timestampMillis },
    { name: 'claimed_at', type: timestampMillis },
  ],
} as const;
