import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The page tests need the bundled client: built once, before any test file runs.
    globalSetup: ['test/setup/build-client.ts'],
  },
});
