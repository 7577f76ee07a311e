/** Two projects: unit (no cluster, fast) and e2e (real control plane, run in band). */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{contract,operator,hooks,cli,e2e}/test/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.e2e\\.test\\.ts$', '\\.browser\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/test/**/*.e2e.test.ts'],
      globalSetup: '<rootDir>/e2e/test/global-setup.mjs',
      globalTeardown: '<rootDir>/e2e/test/global-teardown.mjs',
      slowTestThreshold: 120,
    },
    {
      // make test-browser (part of make test): the dashboard and the demo in Chromium against local control planes.
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/e2e/test/**/*.browser.test.ts'],
      globalSetup: '<rootDir>/e2e/test/global-setup.mjs',
      globalTeardown: '<rootDir>/e2e/test/global-teardown.mjs',
      slowTestThreshold: 120,
    },
  ],
};
