// Test runner configuration: one suite for the whole repository.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'data/**', 'dist/**'],
    // Suites share PostgreSQL/Redis on a 2-core machine; each suite gets its own schema and queue names.
    pool: 'forks',
    // Two files at a time (vitest's default on two cores is one): most suites wait on child processes,
    // a browser or PostgreSQL rather than compute, and each has its own database or schema, queue names,
    // ports and temporary directories, so none depends on running alone. Every timing-sensitive suite is
    // checked beside two busy loops, as loaded as a neighbouring suite makes the machine.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
