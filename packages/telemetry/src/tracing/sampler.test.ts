import { describe, expect, it } from '@jest/globals';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { samplerOf } from './sampler.js';

const traceId = '0af7651916cd43dd8448eb211c80319c';
const decide = (sampler: ReturnType<typeof samplerOf>, parentSampled?: boolean) => {
  const parent =
    parentSampled === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: 'b7ad6b7169203331',
          traceFlags: parentSampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        });
  return sampler.shouldSample(parent, traceId, 'span', SpanKind.INTERNAL, {}, []).decision;
};

describe('the sampler OTEL_TRACES_SAMPLER names', () => {
  it('keeps a root at the ratio, and follows the parent when there is one (parentbased)', () => {
    const never = samplerOf({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: 0 });
    expect(decide(never)).toBe(SamplingDecision.NOT_RECORD);
    // An email whose trace was sampled where it started is traced in every later service, whatever the ratio.
    expect(decide(never, true)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    const always = samplerOf({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: 1 });
    expect(decide(always)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(always, false)).toBe(SamplingDecision.NOT_RECORD);
  });

  it('ignores the parent when not parent-based', () => {
    expect(decide(samplerOf({ OTEL_TRACES_SAMPLER: 'always_off', OTEL_TRACES_SAMPLER_ARG: 1 }), true)).toBe(
      SamplingDecision.NOT_RECORD,
    );
    expect(decide(samplerOf({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 0 }), false)).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
  });
});
