import { describe, expect, it } from '@jest/globals';
import { logLevel } from 'kafkajs';
import { kafkaLogLevel } from './kafka-client.js';

describe('kafkaLogLevel', () => {
  it('keeps the level kafkajs gave, but for errors kafkajs retries itself', () => {
    expect(kafkaLogLevel(logLevel.WARN, {})).toBe('warn');
    expect(kafkaLogLevel(logLevel.INFO, { retryTime: 100 })).toBe('info');
    expect(kafkaLogLevel(logLevel.ERROR, { error: 'Connection timeout' })).toBe('error');
    expect(kafkaLogLevel(logLevel.ERROR, { error: 'Topic authorization failed' })).toBe('error');
  });

  it('logs a coordinator still loading on a new cluster, and the restart it causes, as warnings', () => {
    expect(kafkaLogLevel(logLevel.ERROR, { error: 'The group coordinator is not available' })).toBe('warn');
    expect(
      kafkaLogLevel(logLevel.ERROR, { error: "The coordinator is loading and hence can't process requests" }),
    ).toBe('warn');
    expect(kafkaLogLevel(logLevel.ERROR, { error: 'This is not the correct coordinator for this group' })).toBe('warn');
    expect(kafkaLogLevel(logLevel.ERROR, { groupId: 'smtp-sender', retryTime: 100 })).toBe('warn');
    expect(
      kafkaLogLevel(logLevel.ERROR, {
        groupId: 'smtp-sender',
        message:
          "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group",
      }),
    ).toBe('warn');
    expect(
      kafkaLogLevel(logLevel.ERROR, { message: 'Crash: KafkaJSNonRetriableError: Topic authorization failed' }),
    ).toBe('error');
  });
});
