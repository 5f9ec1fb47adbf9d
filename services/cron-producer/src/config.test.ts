import { describe, expect, it } from '@jest/globals';
import { parseEnv } from '@outflow/config';
import { cronProducerEnv } from './config.js';

const { METRICS_MAILBOXES, QUEUE_STATS_INTERVAL_MS } = cronProducerEnv;
const shape = { METRICS_MAILBOXES, QUEUE_STATS_INTERVAL_MS };

describe("the producer's metrics settings", () => {
  it('label no mailbox and refresh every 15 s by default', () => {
    expect(parseEnv(shape, {})).toEqual({ METRICS_MAILBOXES: [], QUEUE_STATS_INTERVAL_MS: 15_000 });
  });

  it('read mailbox addresses lower-cased and once each, or * for all', () => {
    expect(parseEnv(shape, { METRICS_MAILBOXES: ' Sales@Example.com,ops@example.com, sales@example.com ' })).toEqual(
      expect.objectContaining({ METRICS_MAILBOXES: ['sales@example.com', 'ops@example.com'] }),
    );
    expect(parseEnv(shape, { METRICS_MAILBOXES: '*' }).METRICS_MAILBOXES).toBe('all');
  });

  it('refuse what is not an address, naming it', () => {
    expect(() => parseEnv(shape, { METRICS_MAILBOXES: 'sales@example.com,sales' })).toThrow(
      /METRICS_MAILBOXES.*"sales"/s,
    );
    expect(() => parseEnv(shape, { QUEUE_STATS_INTERVAL_MS: '0' })).toThrow(/QUEUE_STATS_INTERVAL_MS/);
  });
});
