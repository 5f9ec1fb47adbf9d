export { AppError, isAppError, isRetryable, type AppErrorOptions } from './app-error.js';
export {
  runService,
  type ProcessLike,
  type RunServiceOptions,
  type RunningService,
  type Stopper,
} from './run-service.js';
