import { runOutflowService } from '@outflow/service-kit';
import { cronProducerEnv } from './config.js';
import { startCronProducer } from './start-cron-producer.js';

// cron-producer: claims due emails within each mailbox's daily capacity and publishes them to email-jobs.
runOutflowService({ name: 'cron-producer', defaultHealthPort: 9402, env: cronProducerEnv, start: startCronProducer });
