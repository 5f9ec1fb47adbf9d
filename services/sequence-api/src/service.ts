import { runOutflowService } from '@outflow/service-kit';
import { sequenceApiEnv } from './config.js';
import { startSequenceApi } from './start-sequence-api.js';

// sequence-api: the HTTP API for mailboxes, sequences, enrollments and email status.
runOutflowService({ name: 'sequence-api', defaultHealthPort: 9401, env: sequenceApiEnv, start: startSequenceApi });
