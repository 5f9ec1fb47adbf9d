import {
  apiKeyScopes,
  createApiKey,
  defaultWorkspaceId,
  listApiKeys,
  revokeApiKey,
  type ApiKeyScope,
  type Database,
} from '@outflow/db';
import { CliError, type Output } from './cli-error.js';

const usage = `usage:
  outflow api-key create --name <name> [--workspace <id>] [--scope read|write|admin] [--expires-in <days>]
        create a key; the key is printed as the last line, once. Default: the default workspace, scope admin
        (read: every GET; write: also sequences and enrollments; admin: also mailboxes), no expiry
  outflow api-key list                   list keys (workspace, scopes, prefix, expiry, last use, revoked)
  outflow api-key revoke <id>            revoke a key; requests with it get 401 from then on`;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function flag(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index === -1) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new CliError(`${name} needs a value\n${usage}`);
  return value;
}

export async function runApiKeyCommand(db: Database, args: string[], out: Output): Promise<void> {
  const [action, ...rest] = args;
  if (action === 'create') {
    const name = flag(rest, '--name')?.trim();
    if (!name) throw new CliError(`api-key create needs --name <name>\n${usage}`);
    if (name.length > 100) throw new CliError('--name must be at most 100 characters');
    const workspaceId = flag(rest, '--workspace') ?? defaultWorkspaceId;
    if (!uuidPattern.test(workspaceId))
      throw new CliError(`--workspace must be a workspace id (outflow workspace list)`);
    const workspace = await db.selectFrom('workspaces').select('name').where('id', '=', workspaceId).executeTakeFirst();
    if (!workspace) throw new CliError(`no workspace ${workspaceId} (outflow workspace list)`);
    const scope = flag(rest, '--scope') ?? 'admin';
    if (!(apiKeyScopes as readonly string[]).includes(scope)) {
      throw new CliError(`--scope must be one of ${apiKeyScopes.join(', ')}`);
    }
    const days = flag(rest, '--expires-in');
    if (days !== undefined && !(/^\d+$/.test(days) && Number(days) >= 1 && Number(days) <= 3_650)) {
      throw new CliError('--expires-in must be a number of days from 1 to 3650');
    }
    const expiresAt = days === undefined ? null : new Date(Date.now() + Number(days) * 86_400_000);
    const { id, key } = await createApiKey(db, { name, workspaceId, scope: scope as ApiKeyScope, expiresAt });
    out.info(
      `created API key "${name}" (id ${id}) in workspace "${workspace.name}", scope ${scope}` +
        `${expiresAt ? `, expires ${expiresAt.toISOString()}` : ''}. Store it now: it is not shown again.`,
    );
    out.result(key);
    return;
  }
  if (action === 'list') {
    for (const key of await listApiKeys(db)) {
      const parts = [
        key.id,
        `${key.key_prefix}…`,
        key.name,
        `workspace ${key.workspace_id}`,
        key.scopes.join(','),
        `created ${key.created_at.toISOString()}`,
        key.expires_at ? `expires ${key.expires_at.toISOString()}` : '',
        key.last_used_at ? `used ${key.last_used_at.toISOString()}` : 'never used',
        key.revoked_at ? `revoked ${key.revoked_at.toISOString()}` : '',
      ];
      out.result(parts.filter(Boolean).join('  '));
    }
    return;
  }
  if (action === 'revoke') {
    const id = rest[0];
    if (!id || !uuidPattern.test(id)) throw new CliError(`api-key revoke needs a key id\n${usage}`);
    if (!(await revokeApiKey(db, id))) throw new CliError(`no active API key with id ${id}`);
    out.result(`revoked ${id}`);
    return;
  }
  throw new CliError(usage);
}
