import { describe, expect, it } from '@jest/globals';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { carrierOf, contextOf, inSpan, linkTo, startWorkTrace } from './trace-context.js';

// No SDK is started in this process: what every service does with tracing off.
describe('trace context with tracing off', () => {
  it('stores nothing and starts nothing', async () => {
    expect(carrierOf()).toBeNull();
    expect(startWorkTrace('enroll', { 'outflow.sequence_id': 's' })).toBeNull();
    expect(contextOf(null)).toBe(ROOT_CONTEXT);
    expect(linkTo(null)).toEqual([]);
    await expect(inSpan('work', {}, async (span) => span.isRecording())).resolves.toBe(false);
  });

  it('rethrows what the work throws', async () => {
    await expect(
      inSpan('work', {}, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
