export { createLogger, flushLogger, type Logger } from './logger.js';
export { createMetrics, type Counter, type Histogram, type Metrics } from './metrics.js';
