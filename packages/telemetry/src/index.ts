export { createLogger, flushLogger, type Logger } from './logger.js';
