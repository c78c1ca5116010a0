/**
 * Test databases: a fresh PostgreSQL database per test file when TEST_DATABASE_URL is set (created from
 * it, dropped afterwards), in-memory PGlite otherwise. With CI=true an unreachable or missing
 * TEST_DATABASE_URL fails the suite instead of quietly falling back (SPEC section 2).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../db/client';
import { runMigrations } from '../db/migrate';

export interface TestDatabase extends DatabaseHandle {
  /** Human-readable description for test names, e.g. "postgres" or "pglite". */
  label: string;
}

/** True when tests run against real PostgreSQL. */
export function usingPostgres(): boolean {
  return Boolean(process.env['TEST_DATABASE_URL']);
}

/** Creates a migrated, empty database for one test file. Call `close()` in afterAll. */
export async function createTestDatabase(options: { maxConnections?: number } = {}): Promise<TestDatabase> {
  const baseUrl = process.env['TEST_DATABASE_URL'];
  if (!baseUrl) {
    if (process.env['CI'] === 'true') {
      throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL suites must not be skipped');
    }
    const handle = await openDatabase({});
    await runMigrations(handle);
    return { ...handle, label: 'pglite' };
  }
  const name = `cloudtest_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new Error(`TEST_DATABASE_URL is unreachable or may not create databases: ${String(error)}`, {
      cause: error,
    });
  } finally {
    await admin.end().catch(() => {});
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({
    databaseUrl: url.toString(),
    maxConnections: options.maxConnections ?? 10,
  });
  await runMigrations(handle);
  return {
    ...handle,
    label: 'postgres',
    close: async () => {
      await handle.close();
      const dropper = new pg.Client({ connectionString: baseUrl });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
