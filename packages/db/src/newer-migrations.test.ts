import { describe, expect, it } from '@jest/globals';
import { migrationsNewerThanRelease } from './newer-migrations.js';

const release = ['0001_a', '0002_b', '0003_c'];

describe('migrationsNewerThanRelease', () => {
  it('is empty when the database ran this release’s migrations or fewer', () => {
    expect(migrationsNewerThanRelease(release, release)).toEqual([]);
    expect(migrationsNewerThanRelease(release, ['0001_a'])).toEqual([]);
    expect(migrationsNewerThanRelease(release, [])).toEqual([]);
  });

  it('names the migrations a newer release ran, oldest first (the state after a rollback)', () => {
    expect(migrationsNewerThanRelease(release, [...release, '0005_e', '0004_d'])).toEqual(['0004_d', '0005_e']);
  });

  it('refuses an unknown migration older than the release’s last: another branch, not a newer release', () => {
    expect(() => migrationsNewerThanRelease(release, ['0001_a', '0002_x', '0002_b', '0003_c'])).toThrow(
      /another branch or build, not a newer release/,
    );
  });

  it('refuses newer migrations over a release migration that never ran', () => {
    expect(() => migrationsNewerThanRelease(release, ['0001_a', '0002_b', '0004_d'])).toThrow(
      "the database ran migrations newer than this release (0004_d) but not this release's 0003_c",
    );
  });
});
