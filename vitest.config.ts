// Test runner configuration: one suite for the whole repository.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'data/**', 'dist/**'],
    // Suites share PostgreSQL/Redis on a 2-core machine; each suite gets its own schema and queue names.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
