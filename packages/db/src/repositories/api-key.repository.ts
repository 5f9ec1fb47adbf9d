import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../create-db.js';
import { defaultWorkspaceId } from '../migrations/2026_12_06_0019_workspaces.js';

const KEY_PREFIX = 'ofk_';

function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * What a key may do. Each includes the ones before it: `read` every GET; `write` also sequences and enrollments;
 * `admin` also mailboxes (their SMTP hosts and credentials).
 */
export const apiKeyScopes = ['read', 'write', 'admin'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

/** The scopes a key created with `scope` holds: that one and every one below it. */
function scopesUpTo(scope: ApiKeyScope): ApiKeyScope[] {
  return apiKeyScopes.slice(0, apiKeyScopes.indexOf(scope) + 1);
}

export interface NewApiKey {
  name: string;
  /** Default: the default workspace. */
  workspaceId?: string;
  /** Default admin (everything). */
  scope?: ApiKeyScope;
  expiresAt?: Date | null;
}

/** Creates a key and returns it; only its hash is stored, so this is the only time it can be shown. */
export async function createApiKey(db: Database, options: NewApiKey | string): Promise<{ id: string; key: string }> {
  const {
    name,
    workspaceId = defaultWorkspaceId,
    scope = 'admin',
    expiresAt = null,
  } = typeof options === 'string' ? { name: options } : options;
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = await db
    .insertInto('api_keys')
    .values({
      name,
      key_hash: hashApiKey(key),
      key_prefix: key.slice(0, 10),
      workspace_id: workspaceId,
      scopes: scopesUpTo(scope),
      expires_at: expiresAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, key };
}

export interface AuthenticatedKey {
  id: string;
  workspaceId: string;
  scopes: ApiKeyScope[];
  expired: boolean;
}

/**
 * The active key with this value, through authenticate_api_key() (the API's role cannot read api_keys): its
 * workspace and scopes, and whether it expired. Records its use (last_used_at, at most once a minute).
 */
export async function authenticateApiKey(db: Database, key: string): Promise<AuthenticatedKey | undefined> {
  if (!key.startsWith(KEY_PREFIX)) return undefined;
  const { rows } = await sql<{ id: string; workspace_id: string; scopes: ApiKeyScope[]; expired: boolean }>`
    select id, workspace_id, scopes, expired from authenticate_api_key(${hashApiKey(key)})
  `.execute(db);
  const row = rows[0];
  return row && { id: row.id, workspaceId: row.workspace_id, scopes: row.scopes, expired: row.expired };
}

export async function listApiKeys(db: Database) {
  return db
    .selectFrom('api_keys')
    .select([
      'id',
      'name',
      'key_prefix',
      'workspace_id',
      'scopes',
      'expires_at',
      'last_used_at',
      'created_at',
      'revoked_at',
    ])
    .orderBy('created_at')
    .execute();
}

/** Returns false when no active key has this id. */
export async function revokeApiKey(db: Database, id: string): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
