import { describe, expect, it } from '@jest/globals';
import { ConfigError, databaseUrl, envBoolean, kafkaBrokers, parseEnv, port } from './index.js';

const shape = { DATABASE_URL: databaseUrl, KAFKA_BROKERS: kafkaBrokers };

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('parses valid values and splits the broker list', () => {
    const config = parseEnv(shape, {
      DATABASE_URL: 'postgres://u:p@db:5432/outflow',
      KAFKA_BROKERS: 'k1:9092, k2:9093',
    });
    expect(config).toEqual({ DATABASE_URL: 'postgres://u:p@db:5432/outflow', KAFKA_BROKERS: ['k1:9092', 'k2:9093'] });
  });

  it('names a missing variable as required', () => {
    const error = configErrorOf(() => parseEnv(shape, { KAFKA_BROKERS: 'k:9092' }));
    expect(error.issues).toEqual([{ variable: 'DATABASE_URL', message: 'is required but not set' }]);
    expect(error.message).toContain('DATABASE_URL: is required');
  });

  it('treats an empty value as unset', () => {
    const error = configErrorOf(() => parseEnv(shape, { DATABASE_URL: '  ', KAFKA_BROKERS: 'k:9092' }));
    expect(error.issues[0]?.variable).toBe('DATABASE_URL');
  });

  it('rejects malformed values with a message naming each variable, without echoing secrets', () => {
    const error = configErrorOf(() =>
      parseEnv(shape, { DATABASE_URL: 'mysql://root:s3cret@db/x', KAFKA_BROKERS: 'localhost' }),
    );
    expect(error.issues.map((issue) => issue.variable)).toEqual(['DATABASE_URL', 'KAFKA_BROKERS']);
    expect(error.message).toContain('must use postgres://');
    expect(error.message).toContain('"localhost" is not host:port');
    expect(error.message).not.toContain('s3cret');
  });

  it('rejects a database URL without a database name', () => {
    const error = configErrorOf(() => parseEnv({ DATABASE_URL: databaseUrl }, { DATABASE_URL: 'postgres://h:5432' }));
    expect(error.issues[0]?.message).toContain('must name a database');
  });

  it('parses ports and booleans', () => {
    expect(parseEnv({ P: port, B: envBoolean }, { P: '8080', B: 'YES' })).toEqual({ P: 8080, B: true });
    const error = configErrorOf(() => parseEnv({ P: port, B: envBoolean }, { P: '70000', B: 'maybe' }));
    expect(error.issues).toEqual([
      { variable: 'P', message: 'must be between 0 and 65535' },
      { variable: 'B', message: 'must be true or false' },
    ]);
  });
});
