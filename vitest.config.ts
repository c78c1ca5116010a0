// Test runner configuration: one suite for the whole repository.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'data/**', 'dist/**'],
    // Suites share PostgreSQL/Redis on a 2-core machine; each suite gets its own schema and queue names.
    pool: 'forks',
    // Two files at a time (vitest's default on two cores is one). Each suite has its own database or
    // schema, queue names, ports and temporary directories, so none depends on running alone, and every
    // timing-sensitive suite is checked beside two busy loops, as loaded as a neighbouring suite makes
    // the machine. Measured 2026-12-06: the whole suite in 657 s in a warm checkout; one file at a time
    // had taken 986 s in CI.
    maxWorkers: 2,
    // A worker process runs file after file with its modules loaded once (vitest imports the cloud's
    // modules in ≈ 1.3 s per file otherwise). Clean-clone `.ci/run`, same machine, 2026-12-07: vitest
    // 721 → 577 s (import 229 → 18 s), the whole run 1,083 → 939 s. It holds because every file closes
    // what it opens (databases, clouds, agents, browsers, servers) and restores what it changes (fake
    // timers, environment); product modules keep no state beyond caches keyed by content. A new file
    // must too.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
