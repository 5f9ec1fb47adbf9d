import { runOutflowService } from '@outflow/service-kit';
import { smtpSenderEnv } from './config.js';
import { startSmtpSender } from './start-smtp-sender.js';

// smtp-sender: consumes email-jobs and sends each email through its mailbox's SMTP server.
const service = runOutflowService({
  name: 'smtp-sender',
  defaultHealthPort: 9403,
  env: smtpSenderEnv,
  start: (context) => startSmtpSender(context, () => service.shutdown('consumer crashed', 1)),
});
