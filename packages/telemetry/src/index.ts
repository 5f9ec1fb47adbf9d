export { createLogger, flushLogger, type Logger } from './logger.js';
export { createMetrics, type Counter, type Histogram, type Metrics } from './metrics.js';
export {
  carrierOf,
  contextOf,
  failSpan,
  inSpan,
  linkTo,
  startWorkTrace,
  tracer,
  type TraceCarrier,
} from './tracing/trace-context.js';
export {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
