import {
  SpanKind,
  context,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Context,
  type Attributes,
  type Link,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';

/**
 * Outflow's own spans (claims, sends, consumed messages). Through the API: without a provider (tracing off) every
 * span is a no-op that records nothing.
 */
export const tracer = trace.getTracer('outflow');

/** A trace context as the propagator writes it (`{"traceparent": …}`): what a row or an outbox message keeps. */
export type TraceCarrier = Record<string, string>;

/** The context to carry across a hop (the active one by default); null when nothing is traced. */
export function carrierOf(from: Context = context.active()): TraceCarrier | null {
  const carrier: TraceCarrier = {};
  propagation.inject(from, carrier);
  return Object.keys(carrier).length > 0 ? carrier : null;
}

/**
 * Starts the trace of work that outlives the current operation (an email enrolled now and sent days later): a new
 * root span, linked to the active one and ended at once, whose context is returned to be kept with the work. Each
 * piece of work gets a trace of its own (a request enrolling 10 000 contacts is not one trace of 10 000 emails),
 * and each is sampled on its own. Null when tracing is off.
 */
export function startWorkTrace(name: string, attributes: Attributes = {}): TraceCarrier | null {
  const active = trace.getActiveSpan();
  const span = tracer.startSpan(name, {
    root: true,
    kind: SpanKind.PRODUCER,
    attributes,
    links: active ? [{ context: active.spanContext() }] : [],
  });
  span.end();
  return carrierOf(trace.setSpan(ROOT_CONTEXT, span));
}

/** The context a carrier holds, to start spans in; the root context when there is none. */
export function contextOf(carrier: unknown): Context {
  if (!carrier || typeof carrier !== 'object') return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier as TraceCarrier);
}

/** A link to the span a carrier names, or none. */
export function linkTo(carrier: unknown): Link[] {
  const span = trace.getSpanContext(contextOf(carrier));
  return span ? [{ context: span }] : [];
}

/**
 * Runs `work` in a new span (a child of `parent`, the active context by default) and ends it when `work`
 * settles; an error is recorded on the span, marks it failed and is rethrown. The span is the active one during
 * `work` only when it is sampled: an active span that records nothing would still have every instrumented query
 * build a span of its own, which at 1 % sampling costs nearly what tracing everything does.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions & { parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const { parent, ...spanOptions } = options;
  const span = tracer.startSpan(name, spanOptions, parent ?? context.active());
  try {
    if (!span.isRecording()) return await work(span);
    return await context.with(trace.setSpan(parent ?? context.active(), span), () => work(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Records an error on a span and marks it failed. */
export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
