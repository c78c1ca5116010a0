/**
 * Opens the cloud database: PostgreSQL through a `pg` Pool when DATABASE_URL is set, otherwise embedded
 * PGlite in DATA_DIR. Both are drizzle pg-core databases over the same schema, so services never know
 * which one they run on.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import * as schema from './schema';

export type Schema = typeof schema;
/** The drizzle database every service receives (PostgreSQL or PGlite). */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; services that take `Executor` run inside the caller's transaction. */
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Executor = Database | Transaction;

/** An open database with its lifecycle. */
/** A pool's connections by state: open, idle, and requests waiting for one. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface DatabaseHandle {
  db: Database;
  /**
   * Online validation's own small pool (postgres: SCAN_POOL_CONNECTIONS connections; PGlite: `db`), so a
   * steward's scan never waits for a connection behind a queue of purchases on the main pool. A holder's
   * read of their own tickets uses it too (services/tickets.ts): one short statement, someone waiting.
   */
  scanDb: Database;
  kind: 'postgres' | 'pglite';
  /** Throws when the database does not answer (used by /health/ready). */
  ping(): Promise<void>;
  /**
   * Resolves once every transaction committed so far is durable (WAL flushed). The main pool commits
   * asynchronously; callers make a write durable with this before they report success (see below).
   */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Connections of the main pool right now (metrics); PGlite is one connection, never waiting. */
  poolStats(): PoolStats;
  /** Connections of the scan pool right now (metrics; PGlite: its one connection, as poolStats). */
  scanPoolStats(): PoolStats;
  /** The underlying pg Pool (postgres only), for migrations that need one session. */
  pool?: pg.Pool;
  /** The underlying PGlite instance (pglite only). */
  pglite?: PGlite;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string | undefined;
  /** Directory for PGlite files; undefined = in-memory (tests). */
  pgliteDir?: string | undefined;
  /** Main pool size for PostgreSQL (default DEFAULT_DATABASE_POOL_SIZE). */
  maxConnections?: number;
}

/**
 * Connections of the main pool unless DATABASE_POOL_SIZE says otherwise. Small on purpose: a pool wider
 * than the database has cores lets more backends run at once than can, and a backend holding a hot row's
 * lock (the event row that numbers changes) then loses its core to those queued behind it — measured in
 * docs/PERFORMANCE.md ("Pool size"): on two cores, 8 against 20 halved online scans' p95 under the full
 * load test with purchases alike.
 */
export const DEFAULT_DATABASE_POOL_SIZE = 8;

/**
 * Connections of the scan pool (online validation, holders' ticket reads): each scan holds one for a few
 * short statements and a ticket list for one, so a few serve 100 stewards and 50 lists a second; a process
 * opens at most 8 (main, by default) + 4 (flush) + 8 (scans) = 20.
 */
export const SCAN_POOL_CONNECTIONS = 8;

/** Opens PostgreSQL when a URL is given, PGlite otherwise. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    // Commits on the main pool do not wait for the WAL flush (synchronous_commit=off). Row locks — the
    // event row that numbers the change log, the hot ticket-type row — are released at commit, so with
    // synchronous commits every purchase of an event would hold the lock through an fsync (~5 ms here),
    // capping an event at ~200 purchases/s. Durability is restored where it matters: `flush()` commits a
    // transaction synchronously on a second pool, which flushes the WAL up to and including every earlier
    // commit; the HTTP layer calls it before answering any successful write, and concurrent flushes share
    // one fsync (group commit). A crash can lose only writes whose success was never reported.
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.maxConnections ?? DEFAULT_DATABASE_POOL_SIZE,
      // A request must not hang forever on an exhausted pool or a dead server.
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      // Per session rather than as a startup option (which connection poolers such as PgBouncer refuse);
      // the pool hands the connection out only after this ran.
      onConnect: async (client) => {
        await client.query('SET synchronous_commit TO off');
      },
    });
    // Same settings as the main pool (asynchronous commit; the flush makes an answered scan durable).
    const scanPool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: SCAN_POOL_CONNECTIONS,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      onConnect: async (client) => {
        await client.query('SET synchronous_commit TO off');
      },
    });
    const flushPool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 4,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client that errors (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    flushPool.on('error', () => {});
    scanPool.on('error', () => {});
    const db = drizzlePg({ client: pool, schema }) as unknown as Database;
    return {
      db,
      scanDb: drizzlePg({ client: scanPool, schema }) as unknown as Database,
      kind: 'postgres',
      pool,
      ping: async () => {
        await pool.query('select 1');
      },
      // Assigning a transaction id forces a commit record, and a synchronous commit flushes the WAL
      // up to it — which covers every transaction that committed before this one started.
      flush: coalesce(async () => {
        await flushPool.query('select pg_current_xact_id()');
      }),
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      scanPoolStats: () => ({
        total: scanPool.totalCount,
        idle: scanPool.idleCount,
        waiting: scanPool.waitingCount,
      }),
      close: async () => {
        await pool.end();
        await scanPool.end();
        await flushPool.end();
      },
    };
  }
  let client: PGlite;
  if (options.pgliteDir) {
    const dir = join(options.pgliteDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    client = await PGlite.create(dir);
  } else {
    client = await PGlite.create();
  }
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  return {
    db,
    scanDb: db,
    kind: 'pglite',
    pglite: client,
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    // PGlite commits synchronously to its own store; there is nothing to wait for.
    flush: async () => {},
    poolStats: () => ({ total: 1, idle: 0, waiting: 0 }),
    scanPoolStats: () => ({ total: 1, idle: 0, waiting: 0 }),
    close: () => client.close(),
  };
}

/**
 * Group commit for flushes: callers that arrive while a flush is running share the next one (which
 * starts after theirs began, so it covers their commits); callers that find nothing running start one.
 * Under load this turns one flush per request into one per round trip.
 */
export function coalesce(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const current = run().finally(() => {
      if (running === current) running = undefined;
    });
    running = current;
    return current;
  };
  return () => {
    if (!running) return start();
    next ??= running
      .catch(() => {})
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}

/**
 * The rows of a raw `execute()` result (node-postgres and PGlite both answer `{ rows }`), cast to `T`
 * unchecked.
 *
 * @deprecated Parse the rows instead: `parseRows(Schema, result)` from ./rows.ts. Kept only until the
 * last callers (services/changes.ts, orders.ts, reservations.ts) are converted by their owners.
 */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
