import type { Command } from '@commander-js/extra-typings';
import { nameOf } from './arguments.js';
import type { CliContext } from './cli-context.js';
import { printRows, timeCell } from './output.js';

export function registerWorkspaceCommand(program: Command, context: CliContext): void {
  const { out } = context;
  const workspace = program.command('workspace').description('Workspaces: separate tenants of one installation.');

  workspace
    .command('create')
    .description('Create a workspace; its id is printed as the last line.')
    .requiredOption('--name <name>', 'its name (1 to 200 characters)', nameOf(200))
    .action(async ({ name }) => {
      const db = await context.database();
      const { id } = await db.insertInto('workspaces').values({ name }).returning('id').executeTakeFirstOrThrow();
      out.info(
        `created workspace "${name}"; give it a key with: outflow api-key create --name <name> --workspace ${id}`,
      );
      out.result(id);
    });

  workspace
    .command('list')
    .description('List workspaces, oldest first.')
    .option('--json', 'print JSON')
    .action(async ({ json }) => {
      const db = await context.database();
      const rows = await db
        .selectFrom('workspaces')
        .select(['id', 'name', 'created_at'])
        .orderBy('created_at')
        .execute();
      printRows(
        out,
        rows,
        [
          { header: 'ID', value: (row) => row.id },
          { header: 'NAME', value: (row) => row.name },
          { header: 'CREATED', value: (row) => timeCell(row.created_at) },
        ],
        { json, empty: 'no workspaces' },
      );
    });
}
