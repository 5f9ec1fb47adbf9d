// The entry a service's main imports first: only OpenTelemetry itself, nothing that tracing instruments.
export { startTracing, stopTracing } from './start-tracing.js';
