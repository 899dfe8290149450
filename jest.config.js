/** Jest runs the TypeScript sources through ts-jest. The Kusto SDKs, hyparquet and augurs ship
 * ESM only, so they are transformed too (everything else in node_modules is left alone). */
const esmPackages = ['azure-kusto-data', 'azure-kusto-ingest', 'hyparquet', 'hyparquet-writer', '@bsull/augurs'];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
    '^.+\\.m?js$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  testTimeout: 60000,
  maxWorkers: 2,
};
