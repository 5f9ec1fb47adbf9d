import { runOutflowService } from '@outflow/service-kit';

// followup-scheduler: consumes followup-events and schedules the next step (arrives with the core pipeline).
runOutflowService({
  name: 'followup-scheduler',
  defaultHealthPort: 9404,
  start: async () => ({ intake: [] }),
});
