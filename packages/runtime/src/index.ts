export { AppError, isAppError, isRetryable, type AppErrorOptions } from './app-error.js';
export {
  startHealthServer,
  type HealthCheck,
  type HealthServer,
  type StartHealthServerOptions,
} from './health-server.js';
export {
  runService,
  type ProcessLike,
  type RunServiceOptions,
  type RunningService,
  type Stopper,
} from './run-service.js';
export { failpoint } from './failpoint.js';
export { startTicker } from './ticker.js';
export { workInBatches } from './work-in-batches.js';
export { createCoalescer, type Coalescer } from './coalescer.js';
