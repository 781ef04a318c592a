// Jest runs in ESM mode (the Octokit and @actions packages are ESM-only); swc strips types, tsc checks them.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  setupFiles: ['<rootDir>/test-support/jest-setup.ts'],
  testTimeout: 60000,
  // Most of a test's time is the action's own process and the local servers, not jest: two files at a time keep
  // both cores busy (jest's default on 2 cores is one worker).
  maxWorkers: 2,
};
