import pg from 'pg';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__outflowTestPostgres;
  if (!state) return;
  if (!state.server.embedded) {
    // A shared server outlives the run: remove what this run created there.
    const admin = new pg.Client({ connectionString: state.server.adminUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ datname: string }>(
        `select datname from pg_database where datname like 'outflow_test_%' or datname = $1`,
        [state.templateDb],
      );
      for (const row of rows) await admin.query(`drop database if exists ${row.datname} with (force)`);
    } finally {
      await admin.end();
    }
  }
  await state.server.stop();
  globalThis.__outflowTestPostgres = undefined;
}
