import { describe, expect, it } from '@jest/globals';

import { originOf, summarizeProfile, type CpuProfile } from './cpu-profile.js';

const frame = (id: number, functionName: string, url: string, hitCount: number) => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
  hitCount,
});

describe('originOf', () => {
  it('names npm packages (scoped too), our workspace packages, node internals and native frames', () => {
    expect(originOf('file:///app/node_modules/.pnpm/kysely@0.28/node_modules/kysely/dist/esm/x.js', 'f')).toBe(
      'kysely',
    );
    expect(originOf('file:///app/node_modules/@kafkajs/confluent-schema-registry/dist/a.js', 'f')).toBe(
      '@kafkajs/confluent-schema-registry',
    );
    expect(originOf('file:///app/services/smtp-sender/src/sending/a.ts', 'f')).toBe('@outflow/smtp-sender');
    expect(originOf('node:internal/streams/writable', 'f')).toBe('node:internal');
    expect(originOf('', '(garbage collector)')).toBe('((garbage collector))');
  });
});

describe('summarizeProfile', () => {
  it('shares self time by origin and by function, leaving idle out', () => {
    const profile: CpuProfile = {
      startTime: 0,
      endTime: 2_000_000, // 2 s over 100 samples: 20 ms each
      nodes: [
        frame(1, '(root)', '', 0),
        frame(2, '(idle)', '', 50),
        frame(3, 'compile', 'file:///a/node_modules/kysely/q.js', 30),
        frame(4, 'compile', 'file:///a/node_modules/kysely/q.js', 10),
        frame(5, 'handle', 'file:///a/services/smtp-sender/src/h.ts', 10),
      ],
    };
    const summary = summarizeProfile(profile);
    expect(summary.busySeconds).toBe(1);
    expect(summary.byOrigin).toEqual([
      { origin: 'kysely', percent: 80 },
      { origin: '@outflow/smtp-sender', percent: 20 },
    ]);
    expect(summary.topFunctions[0]).toEqual({ name: 'compile kysely:10', percent: 80 });
  });
});
