/**
 * The gate agent's store: every read and write of the local SQLite file goes through here. The scan hot
 * path uses prepared better-sqlite3 statements (a few µs each); everything else uses drizzle.
 *
 * Two rules shape this module:
 *  - a manifest page (tickets, event data, keys and the cursor) is applied in ONE transaction, so a crash
 *    leaves the store exactly at a page boundary;
 *  - a scan and the admission state it changes are committed in ONE transaction (synchronous=FULL)
 *    before the agent answers, so an `accept` shown at the door is on disk.
 */
import type Database from 'better-sqlite3';
import { eq, sql } from 'drizzle-orm';
import type {
  AdmissionEvent,
  AdmissionTicketType,
  KnownTicket,
  LastAdmission,
  ScanDirection,
} from '../../shared/admission/index';
import type { EventKey, TrustedSigningKey } from '../../shared/crypto/index';
import {
  EMPTY_MANIFEST_CHECKSUM,
  formatXor64,
  type ManifestEvent,
  type ManifestPage,
  type ManifestTicket,
  parseXor64,
  type ScanRecord,
  type Xor64,
  xorManifestRow,
} from '../../shared/sync-protocol/index';
import { type GateDrizzle, type OpenedDatabase, openDatabase } from './database';
import * as schema from './schema';

/** What the store keeps about the device between starts. */
export interface DeviceSettings {
  deviceId: string | null;
  privateKey: Uint8Array | null;
  publicKey: Uint8Array | null;
  name: string | null;
  cloudUrl: string | null;
  gateId: string | null;
  gateName: string | null;
  venueId: string | null;
  port: number | null;
  accessToken: string | null;
  accessTokenExpiresAt: number | null;
  enrolledAt: number | null;
  clockOffsetMs: number;
}

/** The event as the decision needs it, cached in memory until the next manifest write. */
export interface EventContext {
  event: AdmissionEvent;
  name: string;
  ticketTypes: ReadonlyMap<number, AdmissionTicketType>;
  liveCopy: number;
  /** The change sequence the live copy has applied (stamped on every scan). */
  manifestSeq: number;
}

/** A scan as the pipeline hands it to the store. */
export interface ScanToRecord {
  id: string;
  gateId: string | null;
  eventId: string | null;
  serial: number | null;
  generation: number | null;
  direction: ScanDirection;
  decision: 'accept' | 'reject';
  reason: ScanRecord['reason'];
  detail: string | null;
  codeHash: string;
  scannedAt: number;
  manifestSeq: number;
  /** Set on accept: the ticket's new admission state, written in the same transaction. */
  admission?: { eventId: string; serial: number; gateName: string | null };
}

export type PageTarget = 'live' | 'staging';

/** What applying one verified page did. */
export type PageOutcome =
  | { kind: 'applied'; hasMore: boolean; nextAfter: number; swapped: boolean }
  /** Last page of a live pull whose totals differ from the cloud's: the copy is marked for a snapshot. */
  | {
      kind: 'mismatch';
      target: PageTarget;
      expected: { rowCount: number; checksum: string };
      actual: { rowCount: number; checksum: string };
    }
  /** The page does not continue where the target stands (a stale or replayed page): nothing written. */
  | { kind: 'out-of-order'; expectedAfter: number }
  /** The live copy belongs to another epoch or does not exist: a snapshot is needed. */
  | { kind: 'needs-snapshot' }
  /** The page contradicts itself (ops outside its own range): nothing written. */
  | { kind: 'malformed'; why: string };

export interface ApplyPageOptions {
  target: PageTarget;
  /** Device clock at the answer, unix ms. */
  now: number;
  /** cloud − device clock measured around this request, ms. */
  clockOffsetMs: number;
  /**
   * Called inside the transaction after every write and before the commit. Tests throw from here to
   * simulate a crash between pages; production code leaves it unset.
   */
  beforeCommit?: () => void;
}

export interface EventSyncState {
  eventId: string;
  name: string | null;
  epoch: string;
  after: number;
  head: number;
  rowCount: number;
  checksum: string;
  liveCopy: number;
  lastSyncAt: number | null;
  needsSnapshot: boolean;
  tickets: number;
  staging: { copy: number; epoch: string; after: number; head: number; rowCount: number } | null;
}

interface TicketRow {
  type_no: number;
  generation: number;
  status: 'valid' | 'revoked';
  digest: string;
}

interface AdmissionRow {
  direction: ScanDirection;
  at: number;
  gate_id: string;
  gate_name: string | null;
}

/** Rows of stale copies removed per garbage-collection transaction: short enough never to stall a scan. */
const GC_CHUNK = 2000;

function ticketTypesOf(event: ManifestEvent): Map<number, AdmissionTicketType> {
  return new Map(
    event.ticketTypes.map((t) => [t.typeNo, { typeNo: t.typeNo, name: t.name, gateIds: t.gateIds }]),
  );
}

/** Opens the store file at `path`, applying migrations; see GateStore. */
export function openGateStore(path: string, options: { migrationsFolder?: string } = {}): GateStore {
  return new GateStore(openDatabase(path, options));
}

export class GateStore {
  readonly sqlite: Database.Database;
  readonly db: GateDrizzle;
  readonly #eventContexts = new Map<string, EventContext | null>();
  #keysVersion = 0;
  #settings: DeviceSettings;
  #counters = { accepted: 0, rejected: 0 };
  #closed = false;

  // Hot-path statements, prepared once.
  readonly #selectTicket: Database.Statement<[string, number, number], TicketRow>;
  readonly #selectAdmission: Database.Statement<[string, number], AdmissionRow>;
  readonly #insertScan: Database.Statement<unknown[], { seq: number }>;
  readonly #upsertAdmission: Database.Statement<unknown[]>;
  readonly #recordScanTx: (scan: ScanToRecord) => number;
  // Manifest statements.
  readonly #upsertTicket: Database.Statement<unknown[]>;
  readonly #insertTicket: Database.Statement<unknown[]>;

  constructor(opened: OpenedDatabase) {
    this.sqlite = opened.sqlite;
    this.db = opened.db;
    this.sqlite.prepare('INSERT OR IGNORE INTO device (id) VALUES (1)').run();
    this.sqlite.prepare('INSERT OR IGNORE INTO upload_cursor (id, acked_seq) VALUES (1, 0)').run();
    this.#settings = this.#loadSettings();
    this.reloadCounters();

    this.#selectTicket = this.sqlite.prepare(
      'SELECT type_no, generation, status, digest FROM tickets WHERE event_id = ? AND copy = ? AND serial = ?',
    );
    this.#selectAdmission = this.sqlite.prepare(
      'SELECT direction, at, gate_id, gate_name FROM admissions WHERE event_id = ? AND serial = ?',
    );
    // The sequence is taken inside the insert's own transaction: gap-free because a failed transaction
    // takes no number, and there is one writer (this process) per store.
    this.#insertScan = this.sqlite.prepare(
      `INSERT INTO scans (seq, id, gate_id, event_id, serial, generation, direction, decision, reason, detail,
         code_hash, scanned_at, clock_offset_ms, manifest_seq, uploaded)
       VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM scans), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
       RETURNING seq`,
    );
    this.#upsertAdmission = this.sqlite.prepare(
      `INSERT INTO admissions (event_id, serial, direction, at, gate_id, gate_name, scan_seq)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (event_id, serial) DO UPDATE SET direction = excluded.direction, at = excluded.at,
         gate_id = excluded.gate_id, gate_name = excluded.gate_name, scan_seq = excluded.scan_seq`,
    );
    this.#recordScanTx = this.sqlite.transaction((scan: ScanToRecord) => {
      const row = this.#insertScan.get(
        scan.id,
        scan.gateId,
        scan.eventId,
        scan.serial,
        scan.generation,
        scan.direction,
        scan.decision,
        scan.reason,
        scan.detail,
        scan.codeHash,
        scan.scannedAt,
        this.#settings.clockOffsetMs,
        scan.manifestSeq,
      );
      if (!row) throw new Error('scan insert returned no sequence');
      if (scan.admission && scan.decision === 'accept') {
        this.#upsertAdmission.run(
          scan.admission.eventId,
          scan.admission.serial,
          scan.direction,
          scan.scannedAt,
          scan.gateId ?? '',
          scan.admission.gateName,
          row.seq,
        );
      }
      return row.seq;
    });
    this.#insertTicket = this.sqlite.prepare(
      `INSERT INTO tickets (event_id, copy, serial, type_no, generation, status, digest, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, copy, serial) DO NOTHING`,
    );
    this.#upsertTicket = this.sqlite.prepare(
      `INSERT INTO tickets (event_id, copy, serial, type_no, generation, status, digest, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (event_id, copy, serial) DO UPDATE SET type_no = excluded.type_no,
         generation = excluded.generation, status = excluded.status, digest = excluded.digest, seq = excluded.seq`,
    );
  }

  // ------------------------------------------------------------------------------------------------
  // Device identity and settings
  // ------------------------------------------------------------------------------------------------

  #loadSettings(): DeviceSettings {
    const row = this.db.select().from(schema.device).where(eq(schema.device.id, 1)).get();
    if (!row) throw new Error('device row missing');
    return {
      deviceId: row.deviceId,
      privateKey: row.privateKey ? new Uint8Array(row.privateKey) : null,
      publicKey: row.publicKey ? new Uint8Array(row.publicKey) : null,
      name: row.name,
      cloudUrl: row.cloudUrl,
      gateId: row.gateId,
      gateName: row.gateName,
      venueId: row.venueId,
      port: row.port,
      accessToken: row.accessToken,
      accessTokenExpiresAt: row.accessTokenExpiresAt,
      enrolledAt: row.enrolledAt,
      clockOffsetMs: row.clockOffsetMs,
    };
  }

  /** The stored settings (a copy; change them with updateSettings). */
  get settings(): Readonly<DeviceSettings> {
    return this.#settings;
  }

  /** Writes the given settings durably and updates the in-memory copy. */
  updateSettings(patch: Partial<DeviceSettings>): void {
    const values: Partial<typeof schema.device.$inferInsert> = {};
    for (const [key, value] of Object.entries(patch) as [keyof DeviceSettings, unknown][]) {
      if (value === undefined) continue;
      if ((key === 'privateKey' || key === 'publicKey') && value instanceof Uint8Array) {
        values[key] = Buffer.from(value);
      } else {
        (values as Record<string, unknown>)[key] = value;
      }
    }
    if (Object.keys(values).length === 0) return;
    this.db.update(schema.device).set(values).where(eq(schema.device.id, 1)).run();
    this.#settings = this.#loadSettings();
  }

  /** The events this gate serves (from enrollment and the cloud's stream). */
  servedEvents(): { eventId: string; name: string }[] {
    return this.db.select().from(schema.servedEvents).all();
  }

  /** Adds (or renames) served events; an event is never dropped here, only by a wipe. */
  addServedEvents(events: readonly { id: string; name: string }[]): void {
    this.sqlite.transaction(() => {
      for (const e of events) {
        const eventId = e.id.toLowerCase();
        this.db
          .insert(schema.servedEvents)
          .values({ eventId, name: e.name })
          .onConflictDoUpdate({ target: schema.servedEvents.eventId, set: { name: e.name } })
          .run();
      }
    })();
  }

  // ------------------------------------------------------------------------------------------------
  // Keys
  // ------------------------------------------------------------------------------------------------

  /** Bumped whenever signing or event keys change, so a verifier is rebuilt only then. */
  get keysVersion(): number {
    return this.#keysVersion;
  }

  trustedSigningKeys(): TrustedSigningKey[] {
    return this.db
      .select()
      .from(schema.signingKeys)
      .all()
      .map((k) => ({ keyId: k.keyId, publicKey: new Uint8Array(k.publicKey) }));
  }

  eventKeys(): EventKey[] {
    return this.db
      .select()
      .from(schema.eventKeys)
      .all()
      .map((k) => ({ eventId: k.eventId, keyVersion: k.keyVersion, key: new Uint8Array(k.key) }));
  }

  /** Pins signing keys (from enrollment, or trust on first use); replaces the trusted set. */
  pinSigningKeys(keys: readonly TrustedSigningKey[], source: 'enrollment' | 'first-page' | 'page'): void {
    this.sqlite.transaction(() => this.#replaceSigningKeys(keys, source))();
  }

  #replaceSigningKeys(keys: readonly TrustedSigningKey[], source: string): void {
    const current = this.trustedSigningKeys();
    const same =
      current.length === keys.length &&
      keys.every((k) =>
        current.some((c) => c.keyId === k.keyId && Buffer.from(c.publicKey).equals(Buffer.from(k.publicKey))),
      );
    if (same) return;
    this.db.delete(schema.signingKeys).run();
    for (const k of keys) {
      this.db
        .insert(schema.signingKeys)
        .values({ keyId: k.keyId, publicKey: Buffer.from(k.publicKey), source })
        .run();
    }
    this.#keysVersion++;
  }

  #mergeEventKeys(eventId: string, keys: ManifestPage['keys']['eventKeys']): void {
    for (const k of keys) {
      const key = Buffer.from(k.key, 'base64url');
      const existing = this.db
        .select()
        .from(schema.eventKeys)
        .where(
          sql`${schema.eventKeys.eventId} = ${eventId} AND ${schema.eventKeys.keyVersion} = ${k.keyVersion}`,
        )
        .get();
      if (existing && Buffer.from(existing.key).equals(key)) continue;
      this.db
        .insert(schema.eventKeys)
        .values({ eventId, keyVersion: k.keyVersion, key })
        .onConflictDoUpdate({ target: [schema.eventKeys.eventId, schema.eventKeys.keyVersion], set: { key } })
        .run();
      this.#keysVersion++;
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Scan hot path
  // ------------------------------------------------------------------------------------------------

  /** The event and its rules, or undefined when this gate does not serve it (no installed copy). */
  eventContext(eventId: string): EventContext | undefined {
    const cached = this.#eventContexts.get(eventId);
    if (cached !== undefined) return cached ?? undefined;
    const row = this.sqlite
      .prepare(
        `SELECT e.id, e.name, e.status, e.starts_at, e.ends_at, e.doors_open_at, c.live_copy, c.after
         FROM events e JOIN sync_cursors c ON c.event_id = e.id WHERE e.id = ?`,
      )
      .get(eventId) as
      | {
          id: string;
          name: string;
          status: AdmissionEvent['status'];
          starts_at: number;
          ends_at: number;
          doors_open_at: number | null;
          live_copy: number;
          after: number;
        }
      | undefined;
    if (!row) {
      this.#eventContexts.set(eventId, null);
      return undefined;
    }
    const types = new Map<number, AdmissionTicketType>();
    for (const t of this.db
      .select()
      .from(schema.ticketTypes)
      .where(eq(schema.ticketTypes.eventId, eventId))
      .all()) {
      types.set(t.typeNo, {
        typeNo: t.typeNo,
        name: t.name,
        gateIds: t.gateIds === null ? null : (JSON.parse(t.gateIds) as string[]),
      });
    }
    const context: EventContext = {
      event: {
        id: row.id,
        status: row.status,
        startsAt: row.starts_at,
        endsAt: row.ends_at,
        doorsOpenAt: row.doors_open_at,
      },
      name: row.name,
      ticketTypes: types,
      liveCopy: row.live_copy,
      manifestSeq: row.after,
    };
    this.#eventContexts.set(eventId, context);
    return context;
  }

  /** The ticket in the live copy, with its digest; undefined when the manifest does not know it. */
  findTicket(context: EventContext, serial: number): (KnownTicket & { digest: string }) | undefined {
    const row = this.#selectTicket.get(context.event.id, context.liveCopy, serial);
    if (!row) return undefined;
    return {
      serial,
      typeNo: row.type_no,
      generation: row.generation,
      status: row.status,
      digest: row.digest,
    };
  }

  lastAdmission(eventId: string, serial: number): LastAdmission | undefined {
    const row = this.#selectAdmission.get(eventId, serial);
    if (!row) return undefined;
    return { direction: row.direction, at: row.at, gateId: row.gate_id, gateName: row.gate_name };
  }

  /**
   * Records a scan and, on accept, the ticket's admission state, in one FULL-synchronous transaction.
   * Returns the scan's sequence number. Throws only when the disk refuses the write.
   */
  recordScan(scan: ScanToRecord): number {
    const seq = this.#recordScanTx(scan);
    if (scan.decision === 'accept') this.#counters.accepted++;
    else this.#counters.rejected++;
    return seq;
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  inTransaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn)();
  }

  /** Recounts accepted/rejected from the log (after a failed group commit rolled scans back). */
  reloadCounters(): void {
    this.#counters = { accepted: 0, rejected: 0 };
    for (const row of this.sqlite
      .prepare('SELECT decision, count(*) AS n FROM scans GROUP BY decision')
      .all() as { decision: string; n: number }[]) {
      if (row.decision === 'accept') this.#counters.accepted = row.n;
      else this.#counters.rejected += row.n;
    }
  }

  get counters(): { accepted: number; rejected: number } {
    return { ...this.#counters };
  }

  // ------------------------------------------------------------------------------------------------
  // Manifest sync
  // ------------------------------------------------------------------------------------------------

  /** Every event the store knows a cursor or a staging snapshot for, with its sync state. */
  syncStates(): EventSyncState[] {
    const rows = this.sqlite
      .prepare(
        // Row counts come from the cursor (kept exact by every page), not count(*): status and metrics
        // are polled, and counting 100,000 rows each time would stall scans.
        `SELECT c.*, e.name FROM sync_cursors c LEFT JOIN events e ON e.id = c.event_id ORDER BY c.event_id`,
      )
      .all() as {
      event_id: string;
      name: string | null;
      epoch: string;
      after: number;
      head: number;
      row_count: number;
      checksum: string;
      live_copy: number;
      last_sync_at: number | null;
      needs_snapshot: number;
    }[];
    return rows.map((r) => ({
      eventId: r.event_id,
      name: r.name,
      epoch: r.epoch,
      after: r.after,
      head: r.head,
      rowCount: r.row_count,
      checksum: r.checksum,
      liveCopy: r.live_copy,
      lastSyncAt: r.last_sync_at,
      needsSnapshot: r.needs_snapshot === 1,
      tickets: r.row_count,
      staging: this.stagingOf(r.event_id),
    }));
  }

  /** The live cursor of an event, or undefined before its first snapshot is installed. */
  cursorOf(eventId: string): typeof schema.syncCursors.$inferSelect | undefined {
    return this.db.select().from(schema.syncCursors).where(eq(schema.syncCursors.eventId, eventId)).get();
  }

  stagingOf(eventId: string): EventSyncState['staging'] {
    const row = this.db
      .select()
      .from(schema.syncStaging)
      .where(eq(schema.syncStaging.eventId, eventId))
      .get();
    return row
      ? { copy: row.copy, epoch: row.epoch, after: row.after, head: row.head, rowCount: row.rowCount }
      : null;
  }

  /** Marks the live copy as needing a snapshot (409 from the cloud, unknown epoch). */
  markNeedsSnapshot(eventId: string): void {
    this.db
      .update(schema.syncCursors)
      .set({ needsSnapshot: true })
      .where(eq(schema.syncCursors.eventId, eventId))
      .run();
  }

  /**
   * Starts (or restarts) a snapshot of `eventId` into a fresh copy beside the live one. Any earlier
   * unfinished staging copy is abandoned; its rows are removed later by collectGarbage.
   */
  beginSnapshot(eventId: string, now: number): { copy: number } {
    return this.sqlite.transaction(() => {
      const cursor = this.cursorOf(eventId);
      const maxCopy =
        (
          this.sqlite.prepare('SELECT max(copy) AS m FROM tickets WHERE event_id = ?').get(eventId) as {
            m: number | null;
          }
        ).m ?? 0;
      const staging = this.stagingOf(eventId);
      const copy = Math.max(maxCopy, cursor?.liveCopy ?? 0, staging?.copy ?? 0) + 1;
      this.db
        .insert(schema.syncStaging)
        .values({
          eventId,
          copy,
          epoch: '',
          after: 0,
          head: 0,
          rowCount: 0,
          checksum: EMPTY_MANIFEST_CHECKSUM,
          eventJson: '{}',
          startedAt: now,
        })
        .onConflictDoUpdate({
          target: schema.syncStaging.eventId,
          set: {
            copy,
            epoch: '',
            after: 0,
            head: 0,
            rowCount: 0,
            checksum: EMPTY_MANIFEST_CHECKSUM,
            eventJson: '{}',
            startedAt: now,
          },
        })
        .run();
      return { copy };
    })();
  }

  /** Drops an unfinished snapshot (its rows are collected later). */
  abandonSnapshot(eventId: string): void {
    this.db.delete(schema.syncStaging).where(eq(schema.syncStaging.eventId, eventId)).run();
  }

  /**
   * Applies one manifest page whose signature the caller has already verified: tickets (updating the
   * running checksum row by row), event data, keys and the cursor in ONE transaction. On the last page
   * the totals are compared with the page's summary; a verified staging copy is swapped in, in the
   * same transaction.
   */
  applyPage(page: ManifestPage, options: ApplyPageOptions): PageOutcome {
    for (const t of page.tickets) {
      if (t.seq <= page.after || t.seq > page.nextAfter)
        return { kind: 'malformed', why: 'ticket seq outside the page range' };
    }
    if (page.nextAfter < page.after || page.head < page.nextAfter)
      return { kind: 'malformed', why: 'cursor range' };
    if (page.event.id.toLowerCase() !== page.eventId.toLowerCase())
      return { kind: 'malformed', why: 'event id' };
    if (!page.hasMore && !page.summary) return { kind: 'malformed', why: 'last page without summary' };
    const eventId = page.eventId.toLowerCase();
    const outcome = this.sqlite.transaction((): PageOutcome => {
      const signingKeys = page.keys.signingKeys.map((k) => ({
        keyId: k.keyId,
        publicKey: new Uint8Array(Buffer.from(k.publicKey, 'base64url')),
      }));
      if (options.target === 'live') {
        const cursor = this.cursorOf(eventId);
        if (!cursor || cursor.epoch !== page.epoch) return { kind: 'needs-snapshot' };
        if (cursor.after !== page.after) return { kind: 'out-of-order', expectedAfter: cursor.after };
        const totals = this.#applyTickets(eventId, cursor.liveCopy, page.tickets, {
          rowCount: cursor.rowCount,
          xor: parseXor64(cursor.checksum),
        });
        this.#replaceSigningKeys(signingKeys, 'page');
        this.#mergeEventKeys(eventId, page.keys.eventKeys);
        this.#writeEvent(page.event);
        const checksum = formatXor64(totals.xor);
        const mismatch =
          page.summary && (page.summary.rowCount !== totals.rowCount || page.summary.checksum !== checksum);
        this.db
          .update(schema.syncCursors)
          .set({
            after: page.nextAfter,
            head: page.head,
            rowCount: totals.rowCount,
            checksum,
            lastSyncAt: options.now,
            clockOffsetMs: options.clockOffsetMs,
            needsSnapshot: mismatch ? true : cursor.needsSnapshot,
          })
          .where(eq(schema.syncCursors.eventId, eventId))
          .run();
        this.#setClockOffset(options.clockOffsetMs);
        options.beforeCommit?.();
        if (mismatch && page.summary) {
          return {
            kind: 'mismatch',
            target: 'live',
            expected: page.summary,
            actual: { rowCount: totals.rowCount, checksum },
          };
        }
        return { kind: 'applied', hasMore: page.hasMore, nextAfter: page.nextAfter, swapped: false };
      }

      const staging = this.db
        .select()
        .from(schema.syncStaging)
        .where(eq(schema.syncStaging.eventId, eventId))
        .get();
      if (!staging) return { kind: 'out-of-order', expectedAfter: 0 };
      if (staging.after !== page.after) return { kind: 'out-of-order', expectedAfter: staging.after };
      if (staging.after > 0 && staging.epoch !== page.epoch) {
        // The cloud's history changed under a half-installed snapshot: start it over.
        this.abandonSnapshot(eventId);
        return { kind: 'needs-snapshot' };
      }
      const totals = this.#applyTickets(eventId, staging.copy, page.tickets, {
        rowCount: staging.rowCount,
        xor: parseXor64(staging.checksum),
      });
      this.#replaceSigningKeys(signingKeys, 'page');
      // Event keys only add decryption ability; they are merged at once so a new event's tokens open.
      this.#mergeEventKeys(eventId, page.keys.eventKeys);
      const checksum = formatXor64(totals.xor);
      if (page.summary && !page.hasMore) {
        if (page.summary.rowCount !== totals.rowCount || page.summary.checksum !== checksum) {
          this.abandonSnapshot(eventId);
          options.beforeCommit?.();
          return {
            kind: 'mismatch',
            target: 'staging',
            expected: page.summary,
            actual: { rowCount: totals.rowCount, checksum },
          };
        }
        // Complete and verified: the swap is this one transaction.
        this.#writeEvent(page.event);
        const values = {
          epoch: page.epoch,
          after: page.nextAfter,
          head: page.head,
          rowCount: totals.rowCount,
          checksum,
          liveCopy: staging.copy,
          lastSyncAt: options.now,
          clockOffsetMs: options.clockOffsetMs,
          needsSnapshot: false,
        };
        this.db
          .insert(schema.syncCursors)
          .values({ eventId, ...values })
          .onConflictDoUpdate({ target: schema.syncCursors.eventId, set: values })
          .run();
        this.abandonSnapshot(eventId);
        this.#setClockOffset(options.clockOffsetMs);
        options.beforeCommit?.();
        return { kind: 'applied', hasMore: false, nextAfter: page.nextAfter, swapped: true };
      }
      this.db
        .update(schema.syncStaging)
        .set({
          epoch: page.epoch,
          after: page.nextAfter,
          head: page.head,
          rowCount: totals.rowCount,
          checksum,
          eventJson: JSON.stringify(page.event),
        })
        .where(eq(schema.syncStaging.eventId, eventId))
        .run();
      options.beforeCommit?.();
      return { kind: 'applied', hasMore: page.hasMore, nextAfter: page.nextAfter, swapped: false };
    })();
    // Any write may have changed what the decision sees; drop cached contexts (cheap to rebuild).
    this.#eventContexts.clear();
    return outcome;
  }

  #applyTickets(
    eventId: string,
    copy: number,
    rows: readonly ManifestTicket[],
    totals: { rowCount: number; xor: Xor64 },
  ): { rowCount: number; xor: Xor64 } {
    let { rowCount } = totals;
    const xor = { ...totals.xor };
    for (const t of rows) {
      // Most rows of a snapshot are new to their copy: try the plain insert first (one B-tree probe),
      // and only when the row exists read it to XOR its old contribution out, then update it.
      if (
        this.#insertTicket.run(eventId, copy, t.serial, t.typeNo, t.generation, t.status, t.digest, t.seq)
          .changes === 1
      ) {
        rowCount++;
      } else {
        const old = this.#selectTicket.get(eventId, copy, t.serial)!;
        xorManifestRow(xor, {
          serial: t.serial,
          typeNo: old.type_no,
          generation: old.generation,
          status: old.status,
          digest: old.digest,
        });
        this.#upsertTicket.run(eventId, copy, t.serial, t.typeNo, t.generation, t.status, t.digest, t.seq);
      }
      xorManifestRow(xor, t);
    }
    return { rowCount, xor };
  }

  #writeEvent(event: ManifestEvent): void {
    const id = event.id.toLowerCase();
    const values = {
      name: event.name,
      status: event.status,
      startsAt: event.startsAt,
      endsAt: event.endsAt,
      doorsOpenAt: event.doorsOpenAt,
      timezone: event.timezone,
    };
    this.db
      .insert(schema.events)
      .values({ id, ...values })
      .onConflictDoUpdate({ target: schema.events.id, set: values })
      .run();
    this.db.delete(schema.ticketTypes).where(eq(schema.ticketTypes.eventId, id)).run();
    for (const t of ticketTypesOf(event).values()) {
      const source = event.ticketTypes.find((x) => x.typeNo === t.typeNo)!;
      this.db
        .insert(schema.ticketTypes)
        .values({
          eventId: id,
          typeNo: t.typeNo,
          id: source.id,
          name: t.name,
          gateIds: t.gateIds === null ? null : JSON.stringify(t.gateIds),
        })
        .run();
    }
  }

  #setClockOffset(offset: number): void {
    if (offset === this.#settings.clockOffsetMs) return;
    this.db.update(schema.device).set({ clockOffsetMs: offset }).where(eq(schema.device.id, 1)).run();
    this.#settings = { ...this.#settings, clockOffsetMs: offset };
  }

  /** Records a clock-offset measurement made outside a page (e.g. an upload acknowledgement). */
  setClockOffset(offset: number): void {
    this.#setClockOffset(Math.round(offset));
  }

  /**
   * Removes, in short transactions, ticket rows of copies that are neither live nor being staged
   * (left by a swap or an abandoned snapshot). Returns the number of rows removed; call until 0.
   */
  collectGarbage(): number {
    // Index seeks only — (event_id, copy) leads the primary key — never a scan of the whole table: this
    // runs after every pull, between scans.
    const eventIds = new Set<string>([
      ...this.servedEvents().map((e) => e.eventId),
      ...(this.sqlite
        .prepare('SELECT event_id FROM sync_cursors UNION SELECT event_id FROM sync_staging')
        .pluck()
        .all() as string[]),
    ]);
    const maxCopy = this.sqlite.prepare('SELECT max(copy) FROM tickets WHERE event_id = ?').pluck();
    const hasCopy = this.sqlite
      .prepare('SELECT 1 FROM tickets WHERE event_id = ? AND copy = ? LIMIT 1')
      .pluck();
    const deleteChunk = this.sqlite.prepare(
      `DELETE FROM tickets WHERE rowid IN (SELECT rowid FROM tickets WHERE event_id = ? AND copy = ? LIMIT ${GC_CHUNK})`,
    );
    for (const eventId of eventIds) {
      const top = (maxCopy.get(eventId) as number | null) ?? 0;
      const keep = new Set([this.cursorOf(eventId)?.liveCopy, this.stagingOf(eventId)?.copy]);
      for (let copy = 1; copy <= top; copy++) {
        if (keep.has(copy) || !hasCopy.get(eventId, copy)) continue;
        return deleteChunk.run(eventId, copy).changes;
      }
    }
    return 0;
  }

  /** The live copy's rows of an event, ordered by serial (tests and full re-checks). */
  liveTickets(eventId: string): ManifestTicket[] {
    const cursor = this.cursorOf(eventId);
    if (!cursor) return [];
    return (
      this.sqlite
        .prepare(
          'SELECT serial, type_no, generation, status, digest, seq FROM tickets WHERE event_id = ? AND copy = ? ORDER BY serial',
        )
        .all(eventId, cursor.liveCopy) as (TicketRow & { serial: number; seq: number })[]
    ).map((r) => ({
      serial: r.serial,
      typeNo: r.type_no,
      generation: r.generation,
      status: r.status,
      digest: r.digest,
      seq: r.seq,
    }));
  }

  // ------------------------------------------------------------------------------------------------
  // Scan upload
  // ------------------------------------------------------------------------------------------------

  get ackedSeq(): number {
    return (
      (this.sqlite.prepare('SELECT acked_seq FROM upload_cursor WHERE id = 1').pluck().get() as
        | number
        | undefined) ?? 0
    );
  }

  get lastScanSeq(): number {
    return (this.sqlite.prepare('SELECT coalesce(max(seq), 0) FROM scans').pluck().get() as number) ?? 0;
  }

  get pendingUploads(): number {
    return Math.max(0, this.lastScanSeq - this.ackedSeq);
  }

  /** The next scans to upload, in sequence order, from just after the acknowledged sequence. */
  scansToUpload(limit: number): ScanRecord[] {
    return this.#scanRows(this.ackedSeq, limit);
  }

  #scanRows(afterSeq: number, limit: number): ScanRecord[] {
    const rows = this.sqlite
      .prepare(
        `SELECT seq, id, gate_id, event_id, serial, generation, direction, decision, reason, detail, code_hash,
           scanned_at, clock_offset_ms, manifest_seq FROM scans WHERE seq > ? ORDER BY seq LIMIT ?`,
      )
      .all(afterSeq, limit) as {
      seq: number;
      id: string;
      gate_id: string | null;
      event_id: string | null;
      serial: number | null;
      generation: number | null;
      direction: ScanDirection;
      decision: 'accept' | 'reject';
      reason: ScanRecord['reason'];
      detail: string | null;
      code_hash: string;
      scanned_at: number;
      clock_offset_ms: number;
      manifest_seq: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      seq: r.seq,
      // A scan made before enrollment finished has no gate; the cloud quarantines it rather than lose it.
      gateId: r.gate_id ?? '',
      eventId: r.event_id,
      ticketSerial: r.serial,
      generation: r.generation,
      direction: r.direction,
      decision: r.decision,
      reason: r.reason,
      detail: r.detail,
      codeHash: r.code_hash,
      scannedAt: r.scanned_at,
      clockOffsetMs: r.clock_offset_ms,
      manifestSeq: r.manifest_seq,
    }));
  }

  /**
   * Applies the cloud's acknowledgement: every scan up to `ackedSeq` is marked uploaded. An
   * acknowledgement BELOW the local cursor means the cloud lost scans it had acknowledged (restored from
   * a backup, SPEC 10): the cursor moves back and those scans are marked pending again, so the uploader
   * sends them once more (the cloud stores each seq once, so nothing is doubled). Returns the new cursor.
   */
  acknowledgeUploads(ackedSeq: number, now: number): number {
    return this.sqlite.transaction(() => {
      const current = this.ackedSeq;
      const target = Math.max(0, Math.min(ackedSeq, this.lastScanSeq));
      if (target === current) return current;
      if (target > current) {
        this.sqlite.prepare('UPDATE scans SET uploaded = 1 WHERE seq > ? AND seq <= ?').run(current, target);
      } else {
        this.sqlite.prepare('UPDATE scans SET uploaded = 0 WHERE seq > ? AND seq <= ?').run(target, current);
      }
      this.sqlite
        .prepare('UPDATE upload_cursor SET acked_seq = ?, last_upload_at = ? WHERE id = 1')
        .run(target, now);
      return target;
    })();
  }

  /** The last scan the cloud acknowledged, re-sent as a probe to learn whether the cloud still has it. */
  lastAcknowledgedScan(): ScanRecord | undefined {
    const acked = this.ackedSeq;
    if (acked === 0) return undefined;
    return this.#scanRows(acked - 1, 1)[0];
  }

  // ------------------------------------------------------------------------------------------------
  // Lifecycle
  // ------------------------------------------------------------------------------------------------

  /**
   * Erases every row — identity, keys, manifests, scan log — after the cloud revoked this device
   * (SPEC 4: "wipes its data"), then VACUUMs so the deleted pages leave the file.
   */
  wipe(): void {
    this.sqlite.transaction(() => {
      for (const table of [
        'served_events',
        'tickets',
        'ticket_types',
        'events',
        'event_keys',
        'signing_keys',
        'sync_cursors',
        'sync_staging',
        'admissions',
        'scans',
        'device',
        'upload_cursor',
      ]) {
        this.sqlite.prepare(`DELETE FROM ${table}`).run();
      }
      this.sqlite.prepare('INSERT INTO device (id) VALUES (1)').run();
      this.sqlite.prepare('INSERT INTO upload_cursor (id, acked_seq) VALUES (1, 0)').run();
    })();
    this.sqlite.exec('VACUUM');
    this.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    this.#eventContexts.clear();
    this.#keysVersion++;
    this.#counters = { accepted: 0, rejected: 0 };
    this.#settings = this.#loadSettings();
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
