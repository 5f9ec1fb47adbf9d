import { randomUUID } from 'node:crypto';
import {
  deadLetterTopic,
  type DeadLetter,
  type EmailEvent,
  type EmailJob,
  type EmailRetry,
  type FollowupEvent,
  type PayloadOf,
  type TopicName,
} from '@outflow/contracts';

/** A valid payload of each topic with fresh ids, for tests that only need some message to carry. */
const now = Date.now();

export const samples: { [T in TopicName]: () => PayloadOf<T> } = {
  'email-jobs': (): EmailJob => ({
    email_id: randomUUID(),
    claim_token: randomUUID(),
    batch_id: randomUUID(),
    mailbox_id: randomUUID(),
    sequence_id: randomUUID(),
    sequence_contact_id: randomUUID(),
    contact_id: randomUUID(),
    step_order: 2,
    scheduled_for: now,
    claimed_at: now + 5,
  }),
  'followup-events': (): FollowupEvent => ({
    event_id: randomUUID(),
    email_id: randomUUID(),
    sequence_id: randomUUID(),
    sequence_contact_id: randomUUID(),
    contact_id: randomUUID(),
    mailbox_id: randomUUID(),
    step_order: 1,
    sent_at: now,
  }),
  'email-retries': (): EmailRetry => ({
    event_id: randomUUID(),
    email_id: randomUUID(),
    sequence_contact_id: randomUUID(),
    claim_token: randomUUID(),
    attempt: 1,
    failure_kind: 'temporary',
    smtp_code: 451,
    error_code: '451',
    error_message: '4.7.1 greylisted, try again later',
    failed_at: now,
  }),
  'email-events': (): EmailEvent => ({
    event_id: randomUUID(),
    email_id: randomUUID(),
    type: 'sent',
    sequence_id: null,
    contact_id: null,
    mailbox_id: randomUUID(),
    occurred_at: now,
    metadata: { smtp_response: '250 OK' },
  }),
  [deadLetterTopic]: (): DeadLetter => ({
    source_topic: 'email-jobs',
    source_partition: 3,
    source_offset: '42',
    consumer_group: 'smtp-sender',
    key: Buffer.from(randomUUID()),
    value: Buffer.from([1, 2, 3]),
    headers: { 'outflow-message-id': 'x' },
    error_code: 'DECODE_FAILED',
    error_message: 'bad bytes',
    failed_at: now,
  }),
};
