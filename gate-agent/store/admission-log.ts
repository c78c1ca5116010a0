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
 */
import type Database from 'better-sqlite3';
import {
  type AdmissionState,
  admissionStateOf,
  lastAdmissionOf,
  type MovementRecord,
} from '../../shared/admission/history';
import type { LastAdmission, ScanDirection } from '../../shared/admission/index';
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

/** One record as the log stores it (entries and exits; undo records are not stored at gates yet). */
export interface StoredAdmission extends MovementRecord {
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
  direction: ScanDirection;
  /** Corrected time (device clock + offset to the cloud). */
  at: number;
  gateId: string;
  gateName: string | null;
  unconfirmed: boolean;
  scanSeq: number;
  /** Device clock. */
  receivedAt: number;
}

interface LogRow {
  origin: string;
  origin_seq: number;
  direction: ScanDirection;
  at: number;
  gate_id: string;
  gate_name: string | null;
  unconfirmed: number;
}

interface FullRow extends LogRow {
  event_id: string;
  serial: number;
  signature: string | null;
}

const toRecord = (r: LogRow): MovementRecord => ({
  origin: r.origin,
  originSeq: r.origin_seq,
  direction: r.direction,
  at: r.at,
  gateId: r.gate_id,
  gateName: r.gate_name,
  unconfirmed: r.unconfirmed === 1,
});

/** Statements prepared once over the store's connection; the hot path uses only the first three. */
export class AdmissionLog {
  readonly #sqlite: Database.Database;
  readonly #history: Database.Statement<[string, number], LogRow>;
  readonly #nextOwnSeq: Database.Statement<[string, string], number>;
  readonly #ticketLatestAt: Database.Statement<[string, number], number | null>;
  readonly #ownLatestAt: Database.Statement<[string, string], number>;
  readonly #insert: Database.Statement<unknown[]>;
  readonly #exists: Database.Statement<[string, string, number], number>;
  readonly #after: Database.Statement<[string, string, number, number], FullRow>;
  readonly #origins: Database.Statement<[string], string>;
  readonly #unconfirmed: Database.Statement<[], number>;
  /** Per event, per device origin: the highest originSeq known to be held with none missing below. */
  readonly #marks = new Map<string, Map<string, number>>();

  constructor(sqlite: Database.Database) {
    this.#sqlite = sqlite;
    this.#history = sqlite.prepare(
      `SELECT origin, origin_seq, direction, at, gate_id, gate_name, unconfirmed
         FROM admission_log WHERE event_id = ? AND serial = ?`,
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
    this.#insert = sqlite.prepare(
      `INSERT OR IGNORE INTO admission_log (event_id, serial, origin, origin_seq, direction, at, gate_id,
         gate_name, unconfirmed, signature, source, received_at, scan_seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#exists = sqlite
      .prepare('SELECT 1 FROM admission_log WHERE event_id = ? AND origin = ? AND origin_seq = ?')
      .pluck() as Database.Statement<[string, string, number], number>;
    this.#after = sqlite.prepare(
      `SELECT event_id, serial, origin, origin_seq, direction, at, gate_id, gate_name, unconfirmed, signature
         FROM admission_log WHERE event_id = ? AND origin = ? AND origin_seq > ? ORDER BY origin_seq LIMIT ?`,
    );
    this.#origins = sqlite
      .prepare('SELECT DISTINCT origin FROM admission_log WHERE event_id = ?')
      .pluck() as Database.Statement<[string], string>;
    this.#unconfirmed = sqlite
      .prepare("SELECT count(*) FROM admission_log WHERE source = 'local' AND unconfirmed = 1")
      .pluck() as Database.Statement<[], number>;
  }

  /** A ticket's state, folded from every record of it this gate holds. */
  stateOf(eventId: string, serial: number): AdmissionState {
    return admissionStateOf(this.#history.all(eventId, serial).map(toRecord));
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

  /** Appends an admission this gate just decided, inside the caller's (the scan's) transaction. */
  appendOwn(record: OwnAdmission): void {
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
    );
    this.#noteOrigin(record.eventId, record.origin);
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
        );
        if (result.changes === 1) {
          fresh.push(r);
          this.#noteOrigin(r.eventId, r.origin);
        }
      }
    };
    if (this.#sqlite.inTransaction) store();
    else this.#sqlite.transaction(store)();
    return fresh;
  }

  /** Stores the admission records of a manifest page (in the page's transaction). */
  storeManifestRecords(eventId: string, records: readonly ManifestAdmission[], receivedAt: number): void {
    if (records.length === 0) return;
    this.storeRecords(
      // Undo records are stored once gates apply them (issue 17); the cloud serves none before that.
      records
        .flatMap((r) => (r.direction === 'undo' ? [] : [{ ...r, direction: r.direction }]))
        .map((r) => ({
          eventId,
          serial: r.serial,
          origin: r.origin.toLowerCase(),
          originSeq: r.originSeq,
          direction: r.direction,
          at: r.at,
          gateId: r.gateId.toLowerCase(),
          gateName: r.gateName,
          unconfirmed: r.unconfirmed,
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

  /** Forgets cached marks (after a wipe). */
  reset(): void {
    this.#marks.clear();
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
