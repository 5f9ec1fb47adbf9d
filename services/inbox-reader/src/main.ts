import { startTracing } from '@outflow/telemetry/tracing';

// Tracing starts before the service's modules are imported: instrumented ES modules (pg, express, http) are patched
// as they load, and one imported earlier would stay untraced. Nothing starts without an exporter configured;
// its own spans are traced; statements only with OUTFLOW_TRACE_STATEMENTS=true.
await startTracing({ service: 'inbox-reader', statements: false });
await import('./service.js');
