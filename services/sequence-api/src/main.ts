import { runOutflowService } from '@outflow/service-kit';

// sequence-api: the HTTP API: mailboxes, sequences, enrollments, status (routes arrive with the core pipeline).
runOutflowService({
  name: 'sequence-api',
  defaultHealthPort: 9401,
  start: async () => ({ intake: [] }),
});
