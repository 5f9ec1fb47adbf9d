import { runOutflowService } from '@outflow/service-kit';
import { retryConsumerEnv } from './config.js';
import { startRetryConsumer } from './start-retry-consumer.js';

// retry-consumer: consumes email-retries; reschedules with exponential backoff or marks a permanent failure.
const service = runOutflowService({
  name: 'retry-consumer',
  defaultHealthPort: 9405,
  env: retryConsumerEnv,
  start: (context) => startRetryConsumer(context, () => service.shutdown('consumer crashed', 1)),
});
