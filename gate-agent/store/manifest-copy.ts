/**
 * The gate's copies of each event's manifest: ticket rows by (event, copy, serial), the live copy's sync
 * cursor with its row count and running checksum, a staging copy being installed beside it, and the
 * garbage collection of copies neither live nor staged. The writes here are the primitives a page is
 * applied with; which of them a page calls for — the live/staging state machine and the protocol's range
 * checks — is decided in gate-agent/sync/manifest-apply.ts, inside one transaction per page.
 *
 * Ticket rows follow shared/sync-protocol's manifest row contract: the statements' column lists come
 * from its field table, and the checksum is kept with its fast hash (XOR the old row out, the new in).
 */
import type Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import {
  EMPTY_ADMISSION_TOTALS,
  EMPTY_MANIFEST_CHECKSUM,
  formatXor64,
  MANIFEST_HASHED_FIELDS,
  MANIFEST_ROW_COLUMNS,
  MANIFEST_ROW_FIELDS,
  type ManifestRowContent,
  type ManifestTicket,
  parseManifestTicket,
  parseXor64,
  type Xor64,
  xorManifestRow,
} from '../../shared/sync-protocol/index';
import type { StoreConnection } from './connection';
import * as schema from './schema';

export type LiveCursor = typeof schema.syncCursors.$inferSelect;
export type StagingCursor = typeof schema.syncStaging.$inferSelect;

/** What the staging copy of an event has reached. */
export type StagingState = Pick<StagingCursor, 'copy' | 'epoch' | 'after' | 'head' | 'rowCount'>;

export interface EventSyncState {
  eventId: string;
  name: string | null;
  /** The event venue's IANA time zone from the manifest's event header; null before the first page. */
  timeZone: string | null;
  epoch: string;
  after: number;
  head: number;
  rowCount: number;
  checksum: string;
  liveCopy: number;
  lastSyncAt: number | null;
  needsSnapshot: boolean;
  tickets: number;
  staging: StagingState | null;
}

/** A copy's running totals while a page is applied: rows and the checksum accumulator. */
export interface CopyTotals {
  rowCount: number;
  xor: Xor64;
}

/** What the live cursor records after a page (the epoch and copy stay). */
export type LiveCursorAdvance = Omit<LiveCursor, 'eventId' | 'epoch' | 'liveCopy'>;

/** Rows of stale copies removed per garbage-collection transaction: short enough never to stall a scan. */
const GC_CHUNK = 2000;

/** `column AS "field"` for the given fields: rows come back in the contract's own shape. */
function selectList(fields: readonly (keyof typeof MANIFEST_ROW_FIELDS)[]): string {
  return fields.map((field) => `${MANIFEST_ROW_FIELDS[field].column} AS "${field}"`).join(', ');
}

const COLUMNS = MANIFEST_ROW_COLUMNS.map(({ column }) => column).join(', ');
/** Named parameters (@field) bound straight from a parsed row. */
const VALUES = MANIFEST_ROW_COLUMNS.map(({ field }) => `@${field}`).join(', ');
const UPDATES = MANIFEST_ROW_COLUMNS.filter(({ field }) => field !== 'serial')
  .map(({ column }) => `${column} = excluded.${column}`)
  .join(', ');

export class ManifestCopy {
  readonly #connection: StoreConnection;
  // The scan hot path's lookup, and the page writes' statements: prepared once.
  readonly #selectContent: Database.Statement<[string, number, number], ManifestRowContent>;
  readonly #insertRow: Database.Statement<[string, number, ManifestTicket]>;
  readonly #upsertRow: Database.Statement<[string, number, ManifestTicket]>;

  constructor(connection: StoreConnection) {
    this.#connection = connection;
    const { sqlite } = connection;
    this.#selectContent = sqlite.prepare(
      `SELECT ${selectList(MANIFEST_HASHED_FIELDS)} FROM tickets WHERE event_id = ? AND copy = ? AND serial = ?`,
    );
    this.#insertRow = sqlite.prepare(
      `INSERT INTO tickets (event_id, copy, ${COLUMNS}) VALUES (?, ?, ${VALUES})
       ON CONFLICT (event_id, copy, serial) DO NOTHING`,
    );
    this.#upsertRow = sqlite.prepare(
      `INSERT INTO tickets (event_id, copy, ${COLUMNS}) VALUES (?, ?, ${VALUES})
       ON CONFLICT (event_id, copy, serial) DO UPDATE SET ${UPDATES}`,
    );
  }

  /**
   * A ticket row of `copy` (the hot path: one indexed lookup), or undefined when the copy lacks it. Its
   * `nameBox` is null when the ticket has no name (the hash reads null as none).
   */
  findRow(eventId: string, copy: number, serial: number): ManifestRowContent | undefined {
    return this.#selectContent.get(eventId, copy, serial);
  }

  /**
   * Writes page rows into `copy`, keeping its totals: a new row adds one and its hash; a replaced row's
   * old hash is XORed out first. Part of the caller's transaction. Returns the new totals.
   */
  applyRows(eventId: string, copy: number, rows: readonly ManifestTicket[], totals: CopyTotals): CopyTotals {
    let { rowCount } = totals;
    const xor = { ...totals.xor };
    for (const row of rows) {
      // Most rows of a snapshot are new to their copy: try the plain insert first (one B-tree probe),
      // and only when the row exists read it to XOR its old contribution out, then update it.
      if (this.#insertRow.run(eventId, copy, row).changes === 1) {
        rowCount++;
      } else {
        xorManifestRow(xor, this.#selectContent.get(eventId, copy, row.serial)!);
        this.#upsertRow.run(eventId, copy, row);
      }
      xorManifestRow(xor, row);
    }
    return { rowCount, xor };
  }

  /** The live copy's rows of an event, ordered by serial (tests and full re-checks). */
  liveTickets(eventId: string): ManifestTicket[] {
    const cursor = this.cursorOf(eventId);
    if (!cursor) return [];
    const rows: unknown[] = this.#connection.sqlite
      .prepare(`SELECT ${selectList(MANIFEST_ROW_COLUMNS.map(({ field }) => field))} FROM tickets
        WHERE event_id = ? AND copy = ? ORDER BY serial`)
      .all(eventId, cursor.liveCopy);
    return rows.map((row) => {
      const ticket = parseManifestTicket(row);
      if (!ticket) throw new Error(`a ticket row of ${eventId} is not a manifest row`);
      return ticket;
    });
  }

  // ------------------------------------------------------------------------------------------------
  // Cursors: the live copy's and the staging copy's
  // ------------------------------------------------------------------------------------------------

  /** The live cursor of an event, or undefined before its first snapshot is installed. */
  cursorOf(eventId: string): LiveCursor | undefined {
    return this.#connection.db
      .select()
      .from(schema.syncCursors)
      .where(eq(schema.syncCursors.eventId, eventId))
      .get();
  }

  /** The staging copy being installed, with everything the page that finishes it needs. */
  stagingCursorOf(eventId: string): StagingCursor | undefined {
    return this.#connection.db
      .select()
      .from(schema.syncStaging)
      .where(eq(schema.syncStaging.eventId, eventId))
      .get();
  }

  stagingOf(eventId: string): StagingState | null {
    const row = this.stagingCursorOf(eventId);
    return row
      ? { copy: row.copy, epoch: row.epoch, after: row.after, head: row.head, rowCount: row.rowCount }
      : null;
  }

  /** Every event the store has a live cursor for, with its sync state. */
  syncStates(): EventSyncState[] {
    const { db } = this.#connection;
    // Row counts come from the cursor (kept exact by every page), not count(*): status and metrics are
    // polled, and counting 100,000 rows each time would stall scans.
    const rows = db
      .select({ cursor: schema.syncCursors, name: schema.events.name, timeZone: schema.events.timezone })
      .from(schema.syncCursors)
      .leftJoin(schema.events, eq(schema.events.id, schema.syncCursors.eventId))
      .orderBy(schema.syncCursors.eventId)
      .all();
    return rows.map(({ cursor, name, timeZone }) => ({
      eventId: cursor.eventId,
      name,
      timeZone,
      epoch: cursor.epoch,
      after: cursor.after,
      head: cursor.head,
      rowCount: cursor.rowCount,
      checksum: cursor.checksum,
      liveCopy: cursor.liveCopy,
      lastSyncAt: cursor.lastSyncAt,
      needsSnapshot: cursor.needsSnapshot,
      tickets: cursor.rowCount,
      staging: this.stagingOf(cursor.eventId),
    }));
  }

  /** Marks the live copy as needing a snapshot (409 from the cloud, unknown epoch). */
  markNeedsSnapshot(eventId: string): void {
    this.#connection.db
      .update(schema.syncCursors)
      .set({ needsSnapshot: true })
      .where(eq(schema.syncCursors.eventId, eventId))
      .run();
  }

  /** Records how far the live copy got with a page; part of the caller's transaction. */
  advanceLive(eventId: string, advance: LiveCursorAdvance): void {
    this.#connection.db
      .update(schema.syncCursors)
      .set(advance)
      .where(eq(schema.syncCursors.eventId, eventId))
      .run();
  }

  /** Makes `cursor.liveCopy` the event's live copy (the swap of a verified snapshot); part of a transaction. */
  installLive(cursor: LiveCursor): void {
    const { eventId, ...values } = cursor;
    this.#connection.db
      .insert(schema.syncCursors)
      .values(cursor)
      .onConflictDoUpdate({ target: schema.syncCursors.eventId, set: values })
      .run();
  }

  /**
   * Starts (or restarts) a snapshot of `eventId` into a fresh copy beside the live one. Any earlier
   * unfinished staging copy is abandoned; its rows are removed later by collectGarbage.
   */
  beginSnapshot(eventId: string, now: number): { copy: number } {
    return this.#connection.transaction(() => {
      const copy =
        Math.max(
          this.#highestCopy(eventId),
          this.cursorOf(eventId)?.liveCopy ?? 0,
          this.stagingOf(eventId)?.copy ?? 0,
        ) + 1;
      const values = {
        copy,
        epoch: '',
        after: 0,
        head: 0,
        rowCount: 0,
        checksum: EMPTY_MANIFEST_CHECKSUM,
        eventJson: '{}',
        startedAt: now,
        admissionCount: 0,
        admissionChecksum: EMPTY_ADMISSION_TOTALS.checksum,
      };
      this.#connection.db
        .insert(schema.syncStaging)
        .values({ eventId, ...values })
        .onConflictDoUpdate({ target: schema.syncStaging.eventId, set: values })
        .run();
      return { copy };
    });
  }

  /** Records how far the staging copy got with a page; part of the caller's transaction. */
  advanceStaging(
    eventId: string,
    advance: Pick<
      StagingCursor,
      | 'epoch'
      | 'after'
      | 'head'
      | 'rowCount'
      | 'checksum'
      | 'eventJson'
      | 'admissionCount'
      | 'admissionChecksum'
    >,
  ): void {
    this.#connection.db
      .update(schema.syncStaging)
      .set(advance)
      .where(eq(schema.syncStaging.eventId, eventId))
      .run();
  }

  /** Drops an unfinished snapshot (its rows are collected later). */
  abandonSnapshot(eventId: string): void {
    this.#connection.db.delete(schema.syncStaging).where(eq(schema.syncStaging.eventId, eventId)).run();
  }

  #highestCopy(eventId: string): number {
    return (
      this.#connection.sqlite
        .prepare<[string], { top: number | null }>('SELECT max(copy) AS top FROM tickets WHERE event_id = ?')
        .get(eventId)?.top ?? 0
    );
  }

  /**
   * Removes, in short transactions, ticket rows of copies that are neither live nor being staged
   * (left by a swap or an abandoned snapshot). Returns the number of rows removed; call until 0.
   */
  collectGarbage(): number {
    // Index seeks only — (event_id, copy) leads the primary key — never a scan of the whole table: this
    // runs after every pull, between scans.
    const { sqlite, db } = this.#connection;
    const eventIds = new Set<string>(
      [
        ...db.select({ eventId: schema.servedEvents.eventId }).from(schema.servedEvents).all(),
        ...db.select({ eventId: schema.syncCursors.eventId }).from(schema.syncCursors).all(),
        ...db.select({ eventId: schema.syncStaging.eventId }).from(schema.syncStaging).all(),
      ].map((row) => row.eventId),
    );
    const hasCopy = sqlite.prepare<[string, number], { found: 1 }>(
      'SELECT 1 AS found FROM tickets WHERE event_id = ? AND copy = ? LIMIT 1',
    );
    const deleteChunk = sqlite.prepare<[string, number]>(
      `DELETE FROM tickets WHERE rowid IN (SELECT rowid FROM tickets WHERE event_id = ? AND copy = ? LIMIT ${GC_CHUNK})`,
    );
    for (const eventId of eventIds) {
      const top = this.#highestCopy(eventId);
      const keep = new Set([this.cursorOf(eventId)?.liveCopy, this.stagingOf(eventId)?.copy]);
      for (let copy = 1; copy <= top; copy++) {
        if (keep.has(copy) || !hasCopy.get(eventId, copy)) continue;
        return deleteChunk.run(eventId, copy).changes;
      }
    }
    return 0;
  }
}

/** The running totals a cursor stands at. */
export function totalsOf(cursor: { rowCount: number; checksum: string }): CopyTotals {
  return { rowCount: cursor.rowCount, xor: parseXor64(cursor.checksum) };
}

/** The totals as a cursor stores them. */
export function storedTotals(totals: CopyTotals): { rowCount: number; checksum: string } {
  return { rowCount: totals.rowCount, checksum: formatXor64(totals.xor) };
}
