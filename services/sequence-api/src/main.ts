import { startTracing } from '@outflow/telemetry/tracing';

// Tracing starts before the service's modules are imported: instrumented ES modules (pg, express, http) are patched
// as they load, and one imported earlier would stay untraced. Nothing starts without an exporter configured;
// its statements and HTTP exchanges are traced too.
await startTracing({ service: 'sequence-api', statements: true });
await import('./service.js');
