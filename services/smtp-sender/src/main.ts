import { runOutflowService } from '@outflow/service-kit';

// smtp-sender: consumes email-jobs and sends through each mailbox's SMTP server (arrives with the core pipeline).
runOutflowService({
  name: 'smtp-sender',
  defaultHealthPort: 9403,
  start: async () => ({ intake: [] }),
});
