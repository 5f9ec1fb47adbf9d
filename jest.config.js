/**
 * One jest run for unit (`*.test.ts`) and integration (`*.int.test.ts`) tests, in native ESM mode
 * (`node --experimental-vm-modules`), with swc stripping types. The global setup starts the real local stack
 * parts that every test file shares (PostgreSQL with a migrated template database, the broker binary build);
 * each test file then makes its own database, broker, registry and SMTP sink.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  testEnvironmentOptions: { customExportConditions: ['@outflow/source', 'node', 'node-addons'] },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/tools', '<rootDir>/bench'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: '<rootDir>/tools/stack/jest/global-setup.js',
  globalTeardown: '<rootDir>/tools/stack/jest/global-teardown.js',
  testTimeout: 60_000,
  // Two cores: two workers keep both busy without starving the broker and PostgreSQL processes.
  maxWorkers: 2,
};
