import { runOutflowService } from '@outflow/service-kit';

// retry-consumer: consumes email-retries and reschedules with backoff (arrives with the core pipeline).
runOutflowService({
  name: 'retry-consumer',
  defaultHealthPort: 9405,
  start: async () => ({ intake: [] }),
});
