/**
 * The one owner of the gate's SQLite connection: the better-sqlite3 handle (prepared statements on the
 * scan hot path), its drizzle view (everything else), every transaction the store modules run, and the
 * connection's end. The store modules (device-settings, keys, event-context, manifest-copy, scan-log,
 * upload-cursor) each get this object and never open or close anything themselves.
 */
import type Database from 'better-sqlite3';
import { is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { GateDrizzle, OpenedDatabase } from './database';
import * as schema from './schema';

/** Every table of the store's schema: a table added to schema.ts is cleared by a wipe without more code. */
const STORE_TABLES = (Object.values(schema) as unknown[]).filter((value): value is SQLiteTable =>
  is(value, SQLiteTable),
);

export class StoreConnection {
  readonly sqlite: Database.Database;
  readonly db: GateDrizzle;
  #closed = false;
  readonly #rollbackListeners: Array<() => void> = [];

  constructor(opened: OpenedDatabase) {
    this.sqlite = opened.sqlite;
    this.db = opened.db;
  }

  /**
   * Called whenever a transaction (or savepoint) run here threw and was rolled back: state kept in memory
   * beside the file (the live occupancy) may have followed writes that are gone, and starts over.
   */
  onRollback(listener: () => void): void {
    this.#rollbackListeners.push(listener);
  }

  #rolledBack(): void {
    for (const listener of this.#rollbackListeners) listener();
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    try {
      return this.sqlite.transaction(fn)();
    } catch (error) {
      this.#rolledBack();
      throw error;
    }
  }

  /**
   * Wraps `fn` once into a function that runs in its own transaction on every call: for the hot path,
   * which should not build a transaction wrapper per scan.
   */
  transactional<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    const run = this.sqlite.transaction(fn);
    return (...args: A) => {
      try {
        return run(...args);
      } catch (error) {
        this.#rolledBack();
        throw error;
      }
    };
  }

  /**
   * Deletes every row of every schema table in one transaction, then VACUUMs so the deleted pages leave
   * the file (a revoked device must not keep readable data: SPEC 4). The migrations' own bookkeeping
   * table is not part of the schema and stays. `refill` runs inside the same transaction, for the rows a
   * store cannot be without (device, upload cursor).
   */
  eraseEverything(refill: () => void): void {
    this.transaction(() => {
      for (const table of STORE_TABLES) this.db.delete(table).run();
      refill();
    });
    this.sqlite.exec('VACUUM');
    this.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.sqlite.close();
  }
}
