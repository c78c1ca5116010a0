/**
 * Applies the drizzle-kit migrations in migrations/cloud/ (generated, committed, never hand-applied).
 * On PostgreSQL an advisory lock makes concurrent starts of several cloud processes safe.
 */
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { DatabaseHandle } from './client';

/** Where the generated SQL lives, independent of the working directory. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations/cloud', import.meta.url));

// An arbitrary constant shared by every cloud process: "cloud schema migration in progress".
const MIGRATION_LOCK_ID = 727_001;

/** Brings the schema of `handle` up to date. */
export async function runMigrations(handle: DatabaseHandle): Promise<void> {
  if (handle.pglite) {
    await migratePglite(drizzlePglite({ client: handle.pglite }), { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  if (!handle.pool) throw new Error('runMigrations: database handle has neither a pool nor PGlite');
  const client = await handle.pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      await migratePg(drizzlePg({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    client.release();
  }
}
