import pg from 'pg';

/** The URL of another database on the same server. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Database names we create are our own, but they are spliced into DDL: keep them to plain identifiers. */
function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`"${name}" is not a plain database name`);
  return name;
}

async function adminQuery(adminUrl: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database on the server `adminUrl` points at (a connection with CREATEDB rights), optionally as a copy of
 * `template`; with `ifMissing`, an existing one is left as it is. Returns its URL.
 */
export async function createDatabase(
  adminUrl: string,
  name: string,
  options: { template?: string; ifMissing?: boolean } = {},
): Promise<string> {
  const exists = options.ifMissing
    ? ((await adminQuery(adminUrl, 'select 1 from pg_database where datname = $1', [name])).rowCount ?? 0) > 0
    : false;
  if (!exists) {
    const template = options.template ? ` template ${identifier(options.template)}` : '';
    await adminQuery(adminUrl, `create database ${identifier(name)}${template}`);
  }
  return withDatabase(adminUrl, name);
}

/**
 * Makes every new session of the database start in `workspaceId` (`outflow.workspace_id`), so rows written
 * without naming a workspace land in it: for test databases, whose tests write rows directly.
 */
export async function setSessionWorkspace(adminUrl: string, name: string, workspaceId: string): Promise<void> {
  if (!/^[0-9a-f-]{36}$/i.test(workspaceId)) throw new Error(`"${workspaceId}" is not a workspace id`);
  await adminQuery(adminUrl, `alter database ${identifier(name)} set outflow.workspace_id = '${workspaceId}'`);
}

/** Drops a database, closing its connections first. Missing is fine. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, `drop database if exists ${identifier(name)} with (force)`);
}

/** Names of the databases on the server whose names start with `prefix`. */
export async function listDatabases(adminUrl: string, prefix: string): Promise<string[]> {
  const { rows } = await adminQuery(adminUrl, 'select datname from pg_database where starts_with(datname, $1)', [
    prefix,
  ]);
  return rows.map((row: { datname: string }) => row.datname);
}
