export { emailJobMessageId, parseEmailJobMessageId } from './email-job-id.js';
export { isUuid } from './uuid.js';
export { emailEventTypes } from './schemas/email-event.v1.js';
export {
  deadLetterTopic,
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
  headersAsText,
  headerText,
  InvalidHeadersError,
  type MessageHeaders,
} from './headers.js';
export { consumerGroupOf } from './consumer-groups.js';
