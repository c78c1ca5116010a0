/**
 * Opens the gate agent's SQLite file: the data directory made private (0700, files 0600: file-modes.ts),
 * pragmas for durability, then the drizzle-kit migrations of migrations/gate/. Kept apart from the
 * queries so Electron, headless runs and tests open it the same way.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { createPrivateFile, prepareDataDir, restrictStoreFiles } from './file-modes';
import * as schema from './schema';

/** Where the generated SQL lives, independent of the working directory. */
export const GATE_MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations/gate', import.meta.url));

/** The file name of the store inside a data directory. */
export const STORE_FILE_NAME = 'gate.sqlite';

export type GateDrizzle = BetterSQLite3Database<typeof schema>;

export interface OpenedDatabase {
  sqlite: Database.Database;
  db: GateDrizzle;
}

/**
 * Opens (creating if needed) the store at `path` and brings its schema up to date.
 * `busyTimeoutMs` only matters when another process holds the file (a second agent by mistake, a
 * backup tool); the agent itself uses one connection.
 */
export function openDatabase(
  path: string,
  options: { migrationsFolder?: string; busyTimeoutMs?: number } = {},
): OpenedDatabase {
  prepareDataDir(dirname(path));
  createPrivateFile(path);
  restrictStoreFiles(path);
  const sqlite = new Database(path);
  try {
    // WAL: readers never block the writer and a commit is one sequential append.
    sqlite.pragma('journal_mode = WAL');
    // FULL, not better-sqlite3's default NORMAL: in WAL mode NORMAL does not fsync at commit, so a power
    // cut can lose the last commits — an `accept` already shown at the door would vanish (SPEC 7).
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    sqlite.pragma('foreign_keys = ON');
    const db = drizzle({ client: sqlite, schema });
    migrate(db, { migrationsFolder: options.migrationsFolder ?? GATE_MIGRATIONS_FOLDER });
    restrictStoreFiles(path); // the -wal and -shm the first write created
    return { sqlite, db };
  } catch (cause) {
    sqlite.close();
    throw cause;
  }
}

/** The store path inside a data directory. */
export function storePath(dataDir: string): string {
  return join(dataDir, STORE_FILE_NAME);
}
