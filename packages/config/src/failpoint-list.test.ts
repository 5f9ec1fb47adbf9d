import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseEnv, processEnv } from './index.js';

const { OUTFLOW_FAILPOINTS } = processEnv(9400);

describe('OUTFLOW_FAILPOINTS', () => {
  it('is empty unless set: every crash point off', () => {
    expect(parseEnv({ OUTFLOW_FAILPOINTS }, {}).OUTFLOW_FAILPOINTS).toEqual(new Map());
  });

  it('reads names with a probability, 1 when none is given', () => {
    const points = parseEnv(
      { OUTFLOW_FAILPOINTS },
      { OUTFLOW_FAILPOINTS: 'producer.after-claim-commit, sender.x=0.25' },
    );
    expect(points.OUTFLOW_FAILPOINTS).toEqual(
      new Map([
        ['producer.after-claim-commit', 1],
        ['sender.x', 0.25],
      ]),
    );
  });

  it('refuses a probability outside 0 to 1 or an entry that is not a name, naming the variable', () => {
    for (const value of ['sender.x=2', 'sender.x=', 'Sender X', 'a=0.5=1']) {
      expect(() => parseEnv({ OUTFLOW_FAILPOINTS }, { OUTFLOW_FAILPOINTS: value })).toThrow(ConfigError);
    }
    expect(() => parseEnv({ OUTFLOW_FAILPOINTS }, { OUTFLOW_FAILPOINTS: 'sender.x=2' })).toThrow(/OUTFLOW_FAILPOINTS/);
  });
});
