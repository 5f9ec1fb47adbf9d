import { runOutflowService } from '@outflow/service-kit';

// cron-producer: claims due emails and publishes them to email-jobs (claiming arrives with the core pipeline).
runOutflowService({
  name: 'cron-producer',
  defaultHealthPort: 9402,
  start: async () => ({ intake: [] }),
});
