import { createLogger, type Logger } from '@outflow/telemetry';

/** Silent by default so test output stays readable; OUTFLOW_TEST_LOG_LEVEL=debug shows everything. */
export function testLogger(service: string): Logger {
  const level = process.env['OUTFLOW_TEST_LOG_LEVEL'];
  const allowed = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  return createLogger({ service, level: allowed.find((candidate) => candidate === level) ?? 'silent' });
}
