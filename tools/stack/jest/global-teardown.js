import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const teardown = await tsImport('../src/testing/jest-global-teardown.ts', import.meta.url);
  await teardown.default();
}
