// Jest loads global setup outside its module system and transforms; tsx loads the TypeScript setup instead.
// Run with `node --conditions=@outflow/source` (pnpm test:jest) so workspace packages resolve to their sources.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const setup = await tsImport('../src/testing/jest-global-setup.ts', import.meta.url);
  await setup.default();
}
