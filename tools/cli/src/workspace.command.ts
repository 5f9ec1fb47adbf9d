import type { Database } from '@outflow/db';
import { CliError, type Output } from './cli-error.js';

const usage = `usage:
  outflow workspace create --name <name>   create a workspace; its id is printed as the last line
  outflow workspace list                   list workspaces (id, name, created)`;

export async function runWorkspaceCommand(db: Database, args: string[], out: Output): Promise<void> {
  const [action, ...rest] = args;
  if (action === 'create') {
    const index = rest.indexOf('--name');
    const name = index === -1 ? undefined : rest[index + 1]?.trim();
    if (!name || name.startsWith('--')) throw new CliError(`workspace create needs --name <name>\n${usage}`);
    if (name.length > 200) throw new CliError('--name must be at most 200 characters');
    const { id } = await db.insertInto('workspaces').values({ name }).returning('id').executeTakeFirstOrThrow();
    out.info(`created workspace "${name}"; give it a key with: outflow api-key create --name <name> --workspace ${id}`);
    out.result(id);
    return;
  }
  if (action === 'list') {
    const rows = await db.selectFrom('workspaces').select(['id', 'name', 'created_at']).orderBy('created_at').execute();
    for (const row of rows) out.result(`${row.id}  ${row.name}  created ${row.created_at.toISOString()}`);
    return;
  }
  throw new CliError(usage);
}
