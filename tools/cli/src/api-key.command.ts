import { createApiKey, listApiKeys, revokeApiKey, type Database } from '@outflow/db';
import { CliError, type Output } from './cli-error.js';

const usage = `usage:
  pnpm outflow api-key create --name <name>   create a key; the key is printed as the last line, once
  pnpm outflow api-key list                   list keys (name, prefix, created, revoked)
  pnpm outflow api-key revoke <id>            revoke a key; requests with it get 401 from then on`;

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
    const { id, key } = await createApiKey(db, name);
    out.info(`created API key "${name}" (id ${id}). Store it now: it is not shown again.`);
    out.result(key);
    return;
  }
  if (action === 'list') {
    for (const key of await listApiKeys(db)) {
      out.result(
        `${key.id}  ${key.key_prefix}…  ${key.name}  created ${key.created_at.toISOString()}${key.revoked_at ? `  revoked ${key.revoked_at.toISOString()}` : ''}`,
      );
    }
    return;
  }
  if (action === 'revoke') {
    const id = rest[0];
    if (!id || !/^[0-9a-f-]{36}$/i.test(id)) throw new CliError(`api-key revoke needs a key id\n${usage}`);
    if (!(await revokeApiKey(db, id))) throw new CliError(`no active API key with id ${id}`);
    out.result(`revoked ${id}`);
    return;
  }
  throw new CliError(usage);
}
