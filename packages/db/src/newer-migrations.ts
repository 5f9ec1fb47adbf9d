/**
 * The executed migrations a release does not know, oldest first. After a rollback the database is ahead of the
 * running release: a newer one applied migrations this one never had. Under the expand/contract rule (a release's
 * migrations keep the previous release working) that is a state to run in, so it is reported, not refused, while
 * anything else a release does not know (an unknown migration older than its last, or one of its own never run
 * under newer ones) means the database came from another branch or build, and is refused.
 */
export function migrationsNewerThanRelease(known: readonly string[], executed: readonly string[]): string[] {
  const release = new Set(known);
  const unknown = executed.filter((name) => !release.has(name)).sort();
  if (unknown.length === 0) return [];
  const last = [...known].sort().at(-1) ?? '';
  const older = unknown.filter((name) => name <= last);
  if (older.length > 0) {
    throw new Error(
      `the database ran migrations this release does not have and that sort before its last one ` +
        `(${older.join(', ')}): it was migrated by another branch or build, not a newer release`,
    );
  }
  const ran = new Set(executed);
  const pending = known.filter((name) => !ran.has(name));
  if (pending.length > 0) {
    throw new Error(
      `the database ran migrations newer than this release (${unknown.join(', ')}) but not this release's ` +
        `${pending.join(', ')}: apply them from the newer release`,
    );
  }
  return unknown;
}
