export { createLogger, flushLogger, type Logger, type LoggerOptions } from './logger.js';
