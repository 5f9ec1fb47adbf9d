import { register } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { parseEnv, tracingEnv, type Env, type TracingConfig } from '@outflow/config';
import { samplerOf } from './sampler.js';

/** Paths the health server answers: probes and scrapes every few seconds would bury the traces that matter. */
const unTracedPaths = new Set(['/healthz', '/readyz', '/metrics']);

let provider: TracerProvider | undefined;

interface StartTracingOptions {
  /** The service.name resource attribute unless OTEL_SERVICE_NAME says otherwise. */
  service: string;
  /**
   * Trace every PostgreSQL statement and HTTP exchange (http, express and pg instrumented, the active span kept
   * across awaits), unless OUTFLOW_TRACE_STATEMENTS says otherwise. Off, the service passes contexts explicitly and
   * traces only its own spans: on Node 20, AsyncLocalStorage's promise hooks cost a busy consumer about 30 % more
   * CPU per email, whatever the sampling.
   */
  statements: boolean;
  environment?: Env;
  /** Where spans go instead (tests); tracing then starts whatever the environment says. */
  exporter?: SpanExporter;
}

/** The exporter the settings name, or undefined when they leave tracing off. */
function exporterOf(config: TracingConfig): SpanExporter | undefined {
  if (config.OTEL_TRACES_EXPORTER === 'zipkin')
    return new ZipkinExporter({ url: config.OTEL_EXPORTER_ZIPKIN_ENDPOINT });
  if (config.OTEL_TRACES_EXPORTER === 'none' || !config.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return new OTLPTraceExporter({
    url: `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`,
    headers: config.OTEL_EXPORTER_OTLP_HEADERS,
  });
}

/**
 * Starts tracing when the settings name an exporter (OTEL_EXPORTER_OTLP_ENDPOINT set, or
 * OTEL_TRACES_EXPORTER=zipkin), and does nothing otherwise (no provider, no hook, no instrumentation loaded:
 * every span the code starts is the API's no-op). Call it before importing anything it
 * instruments (pg, express, http's users): an ES module is patched while it loads, by the loader hook registered
 * here, so a module imported earlier stays unpatched without any error. Resolves to whether tracing is on.
 */
export async function startTracing(options: StartTracingOptions): Promise<boolean> {
  // A malformed setting leaves tracing off here; the service's own parse of its environment names it and stops.
  let config: TracingConfig;
  try {
    config = parseEnv(tracingEnv, options.environment ?? process.env);
  } catch {
    return false;
  }
  if (provider) return true;
  const exporter = options.exporter ?? exporterOf(config);
  if (!exporter) return false;

  provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME ?? options.service }),
    sampler: samplerOf(config),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  if (!(config.OUTFLOW_TRACE_STATEMENTS ?? options.statements)) return true;

  // Only the modules an instrumentation asks for are wrapped; every other import loads untouched.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => unTracedPaths.has((request.url ?? '').split('?')[0] ?? ''),
        // Start-up calls (the schema registry) outside any request or message would each start a trace of one span.
        requireParentforOutgoingSpans: true,
      }),
      new ExpressInstrumentation(),
      // Queries outside a span (pool checks) would be traces of one span each.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  await waitForAllMessagesAcknowledged();
  return true;
}

/** Exports the spans still buffered and stops tracing: the last step of a shutdown. A no-op when tracing is off. */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = undefined;
  await stopping?.shutdown();
}
