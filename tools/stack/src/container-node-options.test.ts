import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { findRepoRoot } from './repo-root.js';
import { containerNodeOptions } from './services.js';

describe('containerNodeOptions', () => {
  it('is what the production image sets, so compiled pipelines run as the container does', () => {
    const dockerfile = readFileSync(join(findRepoRoot(), 'Dockerfile'), 'utf8');
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    // The value is quoted in the Dockerfile when it holds more than one option.
    const set = /^ENV .*\bNODE_OPTIONS=(?:"([^"]*)"|(\S+))/m.exec(runtimeStage);
    expect(set?.[1] ?? set?.[2]).toBe(containerNodeOptions);
  });
});
