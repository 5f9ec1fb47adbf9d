import { describe, expect, it } from '@jest/globals';
import { ConfigError } from './config-error.js';
import { parseEnv } from './parse-env.js';
import { tracingEnv } from './service-env.js';

describe('the tracing settings', () => {
  it('leave tracing to OTLP with no endpoint (off), sampling every trace, by default', () => {
    expect(parseEnv(tracingEnv, {})).toEqual({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://localhost:9411/api/v2/spans',
      OTEL_EXPORTER_OTLP_HEADERS: {},
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_TRACES_SAMPLER_ARG: 1,
    });
  });

  it('read export headers as name=value pairs, percent-decoded', () => {
    const config = parseEnv(tracingEnv, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20abc, x-scope = team-a',
    });
    expect(config.OTEL_EXPORTER_OTLP_HEADERS).toEqual({ authorization: 'Basic abc', 'x-scope': 'team-a' });
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' }, /OTEL_EXPORTER_OTLP_HEADERS/],
    [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }, /OTEL_TRACES_SAMPLER_ARG/],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, /OTEL_TRACES_SAMPLER/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT/],
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, /OTEL_TRACES_EXPORTER/],
  ])('refuse %j, naming the variable', (environment, name) => {
    expect(() => parseEnv(tracingEnv, environment)).toThrow(ConfigError);
    expect(() => parseEnv(tracingEnv, environment)).toThrow(name);
  });
});
