import { runOutflowService } from '@outflow/service-kit';
import { followupSchedulerEnv } from './config.js';
import { startFollowupScheduler } from './start-followup-scheduler.js';

// followup-scheduler: consumes followup-events; schedules each enrollment's next step or completes it.
const service = runOutflowService({
  name: 'followup-scheduler',
  defaultHealthPort: 9404,
  env: followupSchedulerEnv,
  start: (context) => startFollowupScheduler(context, () => service.shutdown('consumer crashed', 1)),
});
