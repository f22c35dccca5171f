/** Runs every suite on SQLite, or on MySQL/MariaDB when DATABASE_URL is set (see test/support/harness.ts). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      {
        jsc: {
          parser: { syntax: "typescript", decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: "es2022",
        },
        module: { type: "commonjs" },
      },
    ],
  },
  testTimeout: 60000,
  maxWorkers: 2,
};
