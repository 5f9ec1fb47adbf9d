import { dropDatabase, listDatabases } from '@outflow/db';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__outflowTestKafka?.stop();
  globalThis.__outflowTestKafka = undefined;
  const state = globalThis.__outflowTestPostgres;
  if (!state) return;
  if (!state.server.embedded) {
    // A shared server outlives the run: remove what this run created there.
    const leftovers = await listDatabases(state.server.adminUrl, 'outflow_test_');
    for (const name of [...leftovers, state.templateDb]) await dropDatabase(state.server.adminUrl, name);
  }
  await state.server.stop();
  globalThis.__outflowTestPostgres = undefined;
}
