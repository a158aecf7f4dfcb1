/** Three projects: pure unit tests, tests that talk to real Postgres/Kafka/EventStoreDB, and the reliability suite. */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  // Jest reads testTimeout only here, not per project; unit tests finish in milliseconds anyway.
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  transform,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{test,shared,services,projections}/**/*.unit.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.{int,e2e,contract}.test.ts'],
      testTimeout: 60000,
    },
    // Issue 13's reliability suite: the real service under faults (RELIABILITY_SCALE=quick|full).
    // Its tests set their own timeouts (minutes), since Jest reads testTimeout only at the top.
    { ...common, displayName: 'reliability', testMatch: ['<rootDir>/test/reliability/**/*.rel.test.ts'] },
  ],
};
