/**
 * The gate's admission log (issue 14): every admission record this gate knows of an event — the ones it
 * made, the ones its peers broadcast, the ones the cloud's manifest carried (from other gates, online
 * validation and manual check-in) — and the ticket's state folded from them by shared/admission's one
 * function. The decision reads a ticket's records with ONE indexed lookup (the primary key leads with
 * event and serial) and folds them in memory; a ticket has a handful of records at most.
 *
 * Records are facts keyed by (event, origin, originSeq): a record heard twice (from a peer and again from
 * the cloud) is stored once, and nothing is ever updated or deleted but by a wipe. This gate's own
 * records are numbered densely per event from 1 inside the scan's transaction. Signatures are kept for
 * records of other gates (to relay them); this gate's own are re-made when sent (Ed25519 is
 * deterministic), so the hot path never signs.
 *
 * Undo records (issue 17: a steward's Undo at this station, an undo heard from a peer, an online undo in
 * the cloud) are records like the others, with `undoes` naming the entry or exit they take back; the
 * fold leaves both out, so the ticket is admitted again.
 *
 * Zones (issue 18): an entry or exit at a venue with zones keeps the move it made (`from_zone`,
 * `to_zone`); a record without them is the single-door move (shared recordMove). Every record the log
 * takes is told to its observer (the gate's live occupancy, ./zone-occupancy.ts), so the counts follow
 * the log without reading it again.
 */
import type Database from 'better-sqlite3';
import {
  type AdmissionMove,
  type AdmissionRecord,
  type AdmissionRef,
  type AdmissionState,
  admissionStateOf,
  lastAdmissionOf,
} from '../../shared/admission/history';
import type { LastAdmission, ZoneId, ZoneMove } from '../../shared/admission/index';
import { isUuid } from '../../shared/crypto/index';
import {
  type AdmissionTotals,
  formatXor64,
  type ManifestAdmission,
  parseXor64,
  xorAdmissionRow,
} from '../../shared/sync-protocol/index';

/** Where a record came from (stored for the operator; the fold ignores it). */
export type AdmissionSource = 'local' | 'peer' | 'cloud';

/** One record as the log stores it: an entry, an exit or an undo record (with `undoes`). */
export interface StoredAdmission extends AdmissionRecord {
  eventId: string;
  serial: number;
  unconfirmed: boolean;
  /** The origin's Ed25519 signature (base64url) when heard from a peer; null for own and cloud-carried records. */
  signature: string | null;
}

/** An admission this gate just decided, as the scan's transaction appends it. */
export interface OwnAdmission {
  eventId: string;
  serial: number;
  /** This device's id. */
  origin: string;
  /** From nextOwnSeq, in the same transaction. */
  originSeq: number;
  direction: AdmissionMove;
  /** Only on an undo record: this gate's entry or exit it takes back. */
  undoes?: AdmissionRef;
  /** Corrected time (device clock + offset to the cloud). */
  at: number;
  gateId: string;
  gateName: string | null;
  unconfirmed: boolean;
  scanSeq: number;
  /** Device clock. */
  receivedAt: number;
  /** Only on an entry or exit at a venue with zones: the move it made (issue 18). */
  move?: ZoneMove;
}

/**
 * Told of every record the log took (after its insert, inside the caller's transaction): the live
 * occupancy follows the log through it. `reset` when a write failed part-way (its transaction rolls back).
 */
export interface AdmissionObserver {
  /** A record of this gate's own (`move`: where its entry or exit put the holder, sorted last). */
  ownRecorded(eventId: string, serial: number, record: AdmissionRecord): void;
  /** A record heard from a peer or carried by the cloud. */
  recordStored(eventId: string, serial: number): void;
  reset(): void;
}

interface LogRow {
  origin: string;
  origin_seq: number;
  direction: AdmissionMove;
  at: number;
  gate_id: string;
  gate_name: string | null;
  unconfirmed: number;
  undoes_origin: string | null;
  undoes_origin_seq: number | null;
  from_zone: string | null;
  to_zone: string | null;
}

interface FullRow extends LogRow {
  event_id: string;
  serial: number;
  signature: string | null;
}

const toRecord = (r: LogRow): AdmissionRecord => ({
  origin: r.origin,
  originSeq: r.origin_seq,
  direction: r.direction,
  ...(r.direction === 'undo' && r.undoes_origin !== null && r.undoes_origin_seq !== null
    ? { undoes: { origin: r.undoes_origin, originSeq: r.undoes_origin_seq } }
    : {}),
  at: r.at,
  gateId: r.gate_id,
  gateName: r.gate_name,
  unconfirmed: r.unconfirmed === 1,
  ...(r.direction !== 'undo' && r.from_zone !== null && r.to_zone !== null
    ? { fromZone: r.from_zone, toZone: r.to_zone }
    : {}),
});

/** The columns every read of whole records selects. */
export const RECORD_COLUMNS =
  'origin, origin_seq, direction, at, gate_id, gate_name, unconfirmed, undoes_origin, undoes_origin_seq, from_zone, to_zone';

/** A stored row as a record (the occupancy's start-up fold reads rows itself). */
export const recordOfRow = toRecord;
export type { LogRow as AdmissionLogRow };

/** Both zones of an entry or exit that carries them (lower case), else none: how the log stores a move. */
function zonesOf(record: { direction: AdmissionMove; fromZone?: string | null; toZone?: string | null }) {
  return record.direction !== 'undo' && record.fromZone && record.toZone
    ? [record.fromZone.toLowerCase(), record.toZone.toLowerCase()]
    : [null, null];
}
/** Statements prepared once over the store's connection; the hot path uses only the first three. */
export class AdmissionLog {
  readonly #sqlite: Database.Database;
  readonly #history: Database.Statement<[string, number], LogRow>;
  readonly #nextOwnSeq: Database.Statement<[string, string], number>;
  readonly #ticketLatestAt: Database.Statement<[string, number], number | null>;
  readonly #ownLatestAt: Database.Statement<[string, string], number>;
  readonly #ownLast: Database.Statement<[string, string], { seq: number; at: number }>;
  readonly #insert: Database.Statement<unknown[]>;
  readonly #exists: Database.Statement<[string, string, number], number>;
  readonly #after: Database.Statement<[string, string, number, number], FullRow>;
  readonly #origins: Database.Statement<[string], string>;
  readonly #unconfirmed: Database.Statement<[], number>;
  /** Per event, per device origin: the highest originSeq known to be held with none missing below. */
  readonly #marks = new Map<string, Map<string, number>>();
  #observer: AdmissionObserver | undefined;

  constructor(sqlite: Database.Database) {
    this.#sqlite = sqlite;
    this.#history = sqlite.prepare(
      `SELECT ${RECORD_COLUMNS} FROM admission_log WHERE event_id = ? AND serial = ?`,
    );
    this.#nextOwnSeq = sqlite
      .prepare('SELECT coalesce(max(origin_seq), 0) + 1 FROM admission_log WHERE event_id = ? AND origin = ?')
      .pluck() as Database.Statement<[string, string], number>;
    // Both on an index: (event, serial) for the ticket, the primary key's (event, origin, seq) for own.
    this.#ticketLatestAt = sqlite
      .prepare('SELECT max(at) FROM admission_log WHERE event_id = ? AND serial = ?')
      .pluck() as Database.Statement<[string, number], number | null>;
    this.#ownLatestAt = sqlite
      .prepare(
        'SELECT at FROM admission_log WHERE event_id = ? AND origin = ? ORDER BY origin_seq DESC LIMIT 1',
      )
      .pluck() as Database.Statement<[string, string], number>;
    // The scan path's one read of its own records: the last one's seq and time in a single probe.
    this.#ownLast = sqlite.prepare(
      'SELECT origin_seq AS seq, at FROM admission_log WHERE event_id = ? AND origin = ? ORDER BY origin_seq DESC LIMIT 1',
    );
    this.#insert = sqlite.prepare(
      `INSERT OR IGNORE INTO admission_log (event_id, serial, origin, origin_seq, direction, at, gate_id,
         gate_name, unconfirmed, signature, source, received_at, scan_seq, undoes_origin, undoes_origin_seq,
         from_zone, to_zone)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#exists = sqlite
      .prepare('SELECT 1 FROM admission_log WHERE event_id = ? AND origin = ? AND origin_seq = ?')
      .pluck() as Database.Statement<[string, string, number], number>;
    this.#after = sqlite.prepare(
      `SELECT event_id, serial, ${RECORD_COLUMNS}, signature
         FROM admission_log WHERE event_id = ? AND origin = ? AND origin_seq > ? ORDER BY origin_seq LIMIT ?`,
    );
    this.#origins = sqlite
      .prepare('SELECT DISTINCT origin FROM admission_log WHERE event_id = ?')
      .pluck() as Database.Statement<[string], string>;
    this.#unconfirmed = sqlite
      .prepare("SELECT count(*) FROM admission_log WHERE source = 'local' AND unconfirmed = 1")
      .pluck() as Database.Statement<[], number>;
  }

  /** Every record of a ticket this gate holds (undo records included), in no particular order. */
  history(eventId: string, serial: number): AdmissionRecord[] {
    return this.#history.all(eventId, serial).map(toRecord);
  }

  /** Sets who is told of every record the log takes (the store's live occupancy). */
  observe(observer: AdmissionObserver): void {
    this.#observer = observer;
  }

  /**
   * A ticket's state, folded from every record of it this gate holds; `defaultZone` is where a record
   * without zones enters (the event's first zone; VENUE_ZONE at a venue without zones).
   */
  stateOf(eventId: string, serial: number, defaultZone?: ZoneId): AdmissionState {
    return admissionStateOf(this.history(eventId, serial), defaultZone);
  }

  /** The ticket's state as the admission decision takes it; undefined when it was never admitted. */
  lastAdmission(eventId: string, serial: number): LastAdmission | undefined {
    return lastAdmissionOf(this.stateOf(eventId, serial));
  }

  /** The originSeq this gate's next admission of the event gets (dense from 1; in the scan's transaction). */
  nextOwnSeq(eventId: string, origin: string): number {
    return this.#nextOwnSeq.get(eventId, origin) ?? 1;
  }

  /**
   * The latest corrected time a new own record of the ticket must follow: the ticket's latest record
   * held here (whoever made it) and this gate's own latest record of the event, so the gate's records
   * keep their order on the common timeline whatever its clock offset estimate does.
   */
  latestAt(eventId: string, serial: number, origin: string): number | undefined {
    const ticket = this.#ticketLatestAt.get(eventId, serial) ?? undefined;
    const own = this.#ownLatestAt.get(eventId, origin);
    if (ticket === undefined) return own;
    return own === undefined ? ticket : Math.max(ticket, own);
  }

  /**
   * nextOwnSeq and latestAt together, as a new own record of the ticket needs them, in two indexed probes
   * instead of three (the scan hot path: every statement there is on the decision's clock).
   */
  ownAppendPoint(
    eventId: string,
    serial: number,
    origin: string,
  ): { originSeq: number; after: number | undefined } {
    const own = this.#ownLast.get(eventId, origin);
    const ticket = this.#ticketLatestAt.get(eventId, serial) ?? undefined;
    const after = ticket === undefined ? own?.at : own === undefined ? ticket : Math.max(ticket, own.at);
    return { originSeq: (own?.seq ?? 0) + 1, after };
  }

  /** Appends an admission this gate just decided, inside the caller's (the scan's) transaction. */
  appendOwn(record: OwnAdmission): void {
    const [fromZone, toZone] = record.move
      ? zonesOf({ direction: record.direction, fromZone: record.move.from, toZone: record.move.to })
      : [null, null];
    this.#insert.run(
      record.eventId,
      record.serial,
      record.origin,
      record.originSeq,
      record.direction,
      record.at,
      record.gateId,
      record.gateName,
      record.unconfirmed ? 1 : 0,
      null,
      'local',
      record.receivedAt,
      record.scanSeq,
      record.undoes?.origin ?? null,
      record.undoes?.originSeq ?? null,
      fromZone,
      toZone,
    );
    this.#noteOrigin(record.eventId, record.origin);
    this.#observer?.ownRecorded(record.eventId, record.serial, {
      origin: record.origin,
      originSeq: record.originSeq,
      direction: record.direction,
      ...(record.undoes ? { undoes: record.undoes } : {}),
      at: record.at,
      gateId: record.gateId,
      ...(fromZone !== null && toZone !== null ? { fromZone, toZone } : {}),
    });
  }

  /** Admissions this gate decided alone (unconfirmed), over the log's life. */
  unconfirmedOwnCount(): number {
    return this.#unconfirmed.get() ?? 0;
  }

  /**
   * Stores records heard from peers or carried by the cloud's manifest (in the caller's transaction when
   * there is one). Returns the ones that were new here.
   */
  storeRecords(
    records: readonly StoredAdmission[],
    source: Exclude<AdmissionSource, 'local'>,
    receivedAt: number,
  ): StoredAdmission[] {
    const fresh: StoredAdmission[] = [];
    const store = () => {
      for (const r of records) {
        const [fromZone, toZone] = zonesOf(r);
        const result = this.#insert.run(
          r.eventId,
          r.serial,
          r.origin,
          r.originSeq,
          r.direction,
          r.at,
          r.gateId,
          r.gateName ?? null,
          r.unconfirmed ? 1 : 0,
          r.signature,
          source,
          receivedAt,
          null,
          r.direction === 'undo' ? (r.undoes?.origin ?? null) : null,
          r.direction === 'undo' ? (r.undoes?.originSeq ?? null) : null,
          fromZone,
          toZone,
        );
        if (result.changes === 1) {
          fresh.push(r);
          this.#noteOrigin(r.eventId, r.origin);
          this.#observer?.recordStored(r.eventId, r.serial);
        }
      }
    };
    try {
      if (this.#sqlite.inTransaction) store();
      else this.#sqlite.transaction(store)();
    } catch (error) {
      // The records told to the observer may be rolled back: it starts over from the log.
      this.#observer?.reset();
      throw error;
    }
    return fresh;
  }

  /** Stores the admission records of a manifest page (in the page's transaction). */
  storeManifestRecords(eventId: string, records: readonly ManifestAdmission[], receivedAt: number): void {
    if (records.length === 0) return;
    this.storeRecords(
      records.map((r) => ({
        eventId,
        serial: r.serial,
        origin: r.origin.toLowerCase(),
        originSeq: r.originSeq,
        direction: r.direction,
        // An undo record (an online undo, or another gate's) takes back the record it names.
        ...(r.direction === 'undo' && r.undoes
          ? { undoes: { origin: r.undoes.origin.toLowerCase(), originSeq: r.undoes.originSeq } }
          : {}),
        at: r.at,
        gateId: r.gateId.toLowerCase(),
        gateName: r.gateName,
        unconfirmed: r.unconfirmed,
        // An entry or exit at a venue with zones: the move it made (issue 18), kept as the cloud sent it.
        ...(r.direction !== 'undo' && r.fromZone && r.toZone
          ? { fromZone: r.fromZone.toLowerCase(), toZone: r.toZone.toLowerCase() }
          : {}),
        signature: null,
      })),
      'cloud',
      receivedAt,
    );
  }

  #noteOrigin(eventId: string, origin: string): void {
    if (!isUuid(origin)) return;
    const marks = this.#marks.get(eventId);
    if (marks && !marks.has(origin)) marks.set(origin, 0);
  }

  /**
   * Per device origin of the event: the highest originSeq held with none missing below (what a peer
   * sends to learn what it should be sent). Cloud-made records are not in it: they come from the cloud.
   */
  vector(eventId: string): Record<string, number> {
    let marks = this.#marks.get(eventId);
    if (!marks) {
      marks = new Map();
      for (const origin of this.#origins.all(eventId)) if (isUuid(origin)) marks.set(origin, 0);
      this.#marks.set(eventId, marks);
    }
    const vector: Record<string, number> = {};
    for (const [origin, mark] of marks) {
      let held = mark;
      // Walks up from the last known mark: each record is probed once over the log's lifetime.
      while (this.#exists.get(eventId, origin, held + 1) !== undefined) held++;
      marks.set(origin, held);
      if (held > 0) vector[origin] = held;
    }
    return vector;
  }

  /** Records of one origin with originSeq > after, ascending, at most `limit` (to send to a peer). */
  recordsAfter(eventId: string, origin: string, after: number, limit: number): StoredAdmission[] {
    return this.#after.all(eventId, origin, after, limit).map((r) => ({
      ...toRecord(r),
      eventId: r.event_id,
      serial: r.serial,
      unconfirmed: r.unconfirmed === 1,
      signature: r.signature,
    }));
  }

  /** Forgets cached marks and the observer's counts (after a wipe). */
  reset(): void {
    this.#marks.clear();
    this.#observer?.reset();
  }
}

/** A copy's admission totals after adding a page's records (the same XOR the cloud's summary uses). */
export function admissionTotalsAfter(
  totals: AdmissionTotals,
  records: readonly ManifestAdmission[],
): AdmissionTotals {
  const acc = parseXor64(totals.checksum);
  for (const record of records) xorAdmissionRow(acc, record);
  return { count: totals.count + records.length, checksum: formatXor64(acc) };
}
