import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../database.generated.js';

const KEY_PREFIX = 'ofk_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Creates a key and returns it; only its hash is stored, so this is the only time it can be shown. */
export async function createApiKey(db: Kysely<DB>, name: string): Promise<{ id: string; key: string }> {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = await db
    .insertInto('api_keys')
    .values({ name, key_hash: hashApiKey(key), key_prefix: key.slice(0, 10) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, key };
}

/** The active (not revoked) key with this value, if any. */
export async function findActiveApiKey(db: Kysely<DB>, key: string): Promise<{ id: string; name: string } | undefined> {
  if (!key.startsWith(KEY_PREFIX)) return undefined;
  return db
    .selectFrom('api_keys')
    .select(['id', 'name'])
    .where('key_hash', '=', hashApiKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function listApiKeys(db: Kysely<DB>) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'name', 'key_prefix', 'created_at', 'revoked_at'])
    .orderBy('created_at')
    .execute();
}

/** Returns false when no active key has this id. */
export async function revokeApiKey(db: Kysely<DB>, id: string): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
