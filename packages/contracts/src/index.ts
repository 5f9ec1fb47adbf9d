export type { AvroRecord, AvroSchema, AvroValue } from './avro.js';
export { emailJobMessageId, parseEmailJobMessageId } from './email-job-id.js';
export { isUuid, uuidText } from './uuid.js';
export { emailEventTypes } from './schemas/email-event.v1.js';
export {
  deadLetterTopic,
  isTopicName,
  physicalTopic,
  subjectOf,
  topicContracts,
  topicNames,
  type DeadLetter,
  type EmailEvent,
  type EmailJob,
  type EmailRetry,
  type FollowupEvent,
  type PayloadOf,
  type TopicName,
} from './topics.js';
export {
  decodeHeaders,
  encodeHeaders,
  headerNames,
  headersAsText,
  InvalidHeadersError,
  type MessageHeaders,
} from './headers.js';
