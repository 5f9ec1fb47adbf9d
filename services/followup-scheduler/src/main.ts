import { startTracing } from '@outflow/telemetry/tracing';

// Tracing starts before the service's modules are imported: ES modules are instrumented as they load, so pg,
// express and http imported any earlier would stay untraced. With OTEL_EXPORTER_OTLP_ENDPOINT unset it does nothing.
await startTracing({ service: 'followup-scheduler' });
await import('./service.js');
