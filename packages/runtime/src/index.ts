export { AppError, isAppError } from './app-error.js';
export { startHealthServer, type HealthCheck } from './health-server.js';
export { runService, type RunningService, type Stopper } from './run-service.js';
export { configureFailpoints, failpoint } from './failpoint.js';
export { startTicker } from './ticker.js';
export { withTimeout } from './with-timeout.js';
export { workInBatches } from './work-in-batches.js';
export { createCoalescer } from './coalescer.js';
