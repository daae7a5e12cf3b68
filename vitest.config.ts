import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/fixtures/**', 'test/bench/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 300_000,
    // Two cores: integration suites start Redis servers and Next builds; keep files from starving each other.
    maxWorkers: 2,
  },
});
