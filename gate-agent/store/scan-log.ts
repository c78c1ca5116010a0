/**
 * The scan hot path's writes: the durable scan log (accepted and rejected, a gap-free sequence from 1)
 * and, for an accepted scan, this gate's admission record of it (./admission-log.ts: what re-entry and
 * ALREADY_USED are decided on, here and — once replicated — at every other door). A scan and its
 * admission record are committed in ONE transaction (synchronous=FULL) before the agent answers, so an
 * `accept` shown at the door is on disk.
 *
 * Speed matters here more than anywhere: the statements are plain better-sqlite3, prepared once (a few
 * µs each; drizzle's query building would cost more than the lookup). Their row types are declared on
 * the statements rather than parsed: the tables are this store's own, written only by this module.
 */
import type Database from 'better-sqlite3';
import { count } from 'drizzle-orm';
import { admissionTimeAfter } from '../../shared/admission/history';
import type { ScanDirection, ZoneMove } from '../../shared/admission/index';
import type { ScanRecord } from '../../shared/sync-protocol/index';
import type { AdmissionLog } from './admission-log';
import type { StoreConnection } from './connection';
import * as schema from './schema';

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
  /** Set on accept: the admission record this gate makes, written in the same transaction. */
  admission?: {
    eventId: string;
    serial: number;
    /** This device's id: the record's origin. */
    origin: string;
    gateName: string | null;
    /** Decided while the gate reached neither the cloud nor all its peers. */
    unconfirmed: boolean;
    /** At a venue with zones only (issue 18): the move the entry or exit makes. */
    move?: ZoneMove;
  };
}

/**
 * Decisions since the log began (or since the last wipe). An accept undone at this station (issue 17)
 * no longer counts as accepted, admitted or exited: the door's count says who really went through.
 */
export interface DecisionCounters {
  /** Every accept that stands: entries and exits. */
  accepted: number;
  /** Accepted entries that stand: what the door's "admitted" count shows (an exit is not an admission). */
  admitted: number;
  /** Accepted exits that stand. */
  exited: number;
  rejected: number;
  /** Accepts of this station undone at this station. */
  undone: number;
}

const noDecisions = (): DecisionCounters => ({ accepted: 0, admitted: 0, exited: 0, rejected: 0, undone: 0 });

export class ScanLog {
  readonly #connection: StoreConnection;
  readonly #record: (scan: ScanToRecord) => number;
  readonly #undoneByDirection: Database.Statement<[], { direction: ScanDirection; n: number }>;
  #counters: DecisionCounters = noDecisions();

  /** `clockOffsetMs` reads the device's current clock offset, stamped on every scan. */
  constructor(connection: StoreConnection, admissions: AdmissionLog, clockOffsetMs: () => number) {
    this.#connection = connection;
    const { sqlite } = connection;
    // The sequence is taken inside the insert's own transaction: gap-free because a failed transaction
    // takes no number, and there is one writer (this process) per store.
    const insertScan: Database.Statement<unknown[], { seq: number }> = sqlite.prepare(
      `INSERT INTO scans (seq, id, gate_id, event_id, serial, generation, direction, decision, reason, detail,
         code_hash, scanned_at, clock_offset_ms, manifest_seq, admission_seq, unconfirmed, from_zone, to_zone,
         uploaded)
       VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM scans), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
         0)
       RETURNING seq`,
    );
    this.#record = connection.transactional((scan: ScanToRecord) => {
      const admission = scan.decision === 'accept' ? scan.admission : undefined;
      const point = admission
        ? admissions.ownAppendPoint(admission.eventId, admission.serial, admission.origin)
        : undefined;
      const admissionSeq = point ? point.originSeq : null;
      // An admission's corrected time follows every record of the ticket this gate knows (see
      // admissionTimeAfter); the scan row carries the offset that gives that time, so the cloud, which
      // estimates scannedAt + offset, files the record where the gate and its peers do.
      const at = point ? admissionTimeAfter(scan.scannedAt + clockOffsetMs(), point.after) : undefined;
      const offset = at === undefined ? clockOffsetMs() : at - scan.scannedAt;
      const row = insertScan.get(
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
        offset,
        scan.manifestSeq,
        admissionSeq,
        admission?.unconfirmed ? 1 : 0,
        admission?.move?.from ?? null,
        admission?.move?.to ?? null,
      );
      if (!row) throw new Error('scan insert returned no sequence');
      if (admission && admissionSeq !== null) {
        admissions.appendOwn({
          eventId: admission.eventId,
          serial: admission.serial,
          origin: admission.origin,
          originSeq: admissionSeq,
          direction: scan.direction,
          // The corrected time: the one timeline every gate and the cloud order admissions on.
          at: scan.scannedAt + offset,
          gateId: scan.gateId ?? '',
          gateName: admission.gateName,
          unconfirmed: admission.unconfirmed,
          scanSeq: row.seq,
          receivedAt: scan.scannedAt,
          ...(admission.move ? { move: admission.move } : {}),
        });
      }
      return row.seq;
    });
    // Undo rows are few; each names (by admission_seq) the accepted scan it took back.
    this.#undoneByDirection = sqlite.prepare(
      `SELECT t.direction AS direction, count(*) AS n FROM scans u
         JOIN scans t ON t.event_id = u.event_id AND t.admission_seq = u.undoes_seq
          AND t.decision = 'accept' AND t.direction <> 'undo'
        WHERE u.direction = 'undo' GROUP BY t.direction`,
    );
    this.reloadCounters();
  }

  /**
   * Records a scan and, on accept, its admission record, in one FULL-synchronous transaction
   * (a savepoint inside a caller's group commit). Returns the scan's sequence number. Throws only when
   * the disk refuses the write.
   */
  record(scan: ScanToRecord): number {
    const seq = this.#record(scan);
    if (scan.decision === 'accept') {
      this.#counters.accepted++;
      if (scan.direction === 'out') this.#counters.exited++;
      else this.#counters.admitted++;
    } else this.#counters.rejected++;
    return seq;
  }

  /** Takes an accept undone at this station (its undo row just committed) out of the counters. */
  noteUndone(direction: ScanDirection): void {
    this.#counters.undone++;
    this.#counters.accepted--;
    if (direction === 'out') this.#counters.exited--;
    else this.#counters.admitted--;
  }

  /** Recounts accepted/rejected from the log (at start, after a failed group commit, after a wipe). */
  reloadCounters(): void {
    const counters = noDecisions();
    for (const row of this.#connection.db
      .select({ decision: schema.scans.decision, direction: schema.scans.direction, n: count() })
      .from(schema.scans)
      .groupBy(schema.scans.decision, schema.scans.direction)
      .all()) {
      if (row.decision !== 'accept') {
        counters.rejected += row.n;
        continue;
      }
      if (row.direction === 'undo') continue; // counted below, by what each undid
      counters.accepted += row.n;
      if (row.direction === 'out') counters.exited += row.n;
      else counters.admitted += row.n;
    }
    for (const { direction, n } of this.#undoneByDirection.all()) {
      counters.undone += n;
      counters.accepted -= n;
      if (direction === 'out') counters.exited -= n;
      else counters.admitted -= n;
    }
    this.#counters = counters;
  }

  get counters(): DecisionCounters {
    return { ...this.#counters };
  }
}
