import { Option, type Command } from '@commander-js/extra-typings';
import { apiKeyScopes, createApiKey, defaultWorkspaceId, listApiKeys, revokeApiKey } from '@outflow/db';
import { nameOf, uuidOf, wholeNumber } from './arguments.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { printRows, timeCell } from './output.js';

export function registerApiKeyCommand(program: Command, context: CliContext): void {
  const { out } = context;
  const apiKey = program.command('api-key').description('API keys: bearer tokens for the HTTP API.');

  apiKey
    .command('create')
    .description(
      'Create a key; the key is printed as the last line, once. Scopes: read (every GET), write (also sequences ' +
        'and enrollments), admin (also mailboxes).',
    )
    .requiredOption('--name <name>', 'what it is for (1 to 100 characters)', nameOf(100))
    .option('--workspace <id>', 'the workspace it works in (outflow workspace list)', uuidOf('a workspace id'))
    .addOption(new Option('--scope <scope>', 'what it may do').choices(apiKeyScopes).default('admin' as const))
    .option('--expires-in <days>', 'days until it stops working (1 to 3650; default: never)', wholeNumber(1, 3_650))
    .action(async ({ name, workspace: workspaceId = defaultWorkspaceId, scope, expiresIn }) => {
      const db = await context.database();
      const workspace = await db
        .selectFrom('workspaces')
        .select('name')
        .where('id', '=', workspaceId)
        .executeTakeFirst();
      if (!workspace) throw new CliError(`no workspace ${workspaceId} (outflow workspace list)`);
      const expiresAt = expiresIn === undefined ? null : new Date(Date.now() + expiresIn * 86_400_000);
      const { id, key } = await createApiKey(db, { name, workspaceId, scope, expiresAt });
      out.info(
        `created API key "${name}" (id ${id}) in workspace "${workspace.name}", scope ${scope}` +
          `${expiresAt ? `, expires ${expiresAt.toISOString()}` : ''}. Store it now: it is not shown again.`,
      );
      out.result(key);
    });

  apiKey
    .command('list')
    .description('List keys (never the keys themselves: their first characters).')
    .option('--json', 'print JSON')
    .action(async ({ json }) => {
      const keys = await listApiKeys(await context.database());
      printRows(
        out,
        keys,
        [
          { header: 'ID', value: (key) => key.id },
          { header: 'PREFIX', value: (key) => `${key.key_prefix}…` },
          { header: 'NAME', value: (key) => key.name },
          { header: 'WORKSPACE', value: (key) => key.workspace_id },
          { header: 'SCOPES', value: (key) => key.scopes.join(',') },
          { header: 'CREATED', value: (key) => timeCell(key.created_at) },
          { header: 'EXPIRES', value: (key) => timeCell(key.expires_at) },
          { header: 'LAST USED', value: (key) => timeCell(key.last_used_at) },
          { header: 'REVOKED', value: (key) => timeCell(key.revoked_at) },
        ],
        { json, empty: 'no API keys' },
      );
    });

  apiKey
    .command('revoke')
    .description('Revoke a key: requests with it get 401 from then on.')
    .argument('<id>', 'the key id (outflow api-key list)', uuidOf('a key id'))
    .action(async (id) => {
      if (!(await revokeApiKey(await context.database(), id))) throw new CliError(`no active API key with id ${id}`);
      out.result(`revoked ${id}`);
    });
}
