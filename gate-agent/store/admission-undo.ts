/**
 * Undo at the station (issue 17): a steward takes back an entry or exit this station accepted a moment
 * ago (the wrong ticket, the wrong direction). The rule is shared/admission/undo.ts's `decideUndo`, the
 * one the cloud's online undo applies too, over every record of the ticket this gate holds.
 *
 * An undo is a record of its own, never a change to the old one: an undo record in the admission log
 * (this device's next number, `undoes` naming the record) and an `undo` row in the scan log, written in
 * ONE transaction — so the undo reaches the cloud exactly once through the normal scan upload, and a crash
 * leaves either both or neither. The peers hear of it like of any admission (this gate broadcasts its
 * records by number).
 *
 * Only this station's own records are undone here: an undo of another door's admission is made online
 * (the cloud's box office), and reaches this gate in the manifest.
 */
import type Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { type AdmissionRef, admissionTimeAfter } from '../../shared/admission/history';
import type { ScanDirection } from '../../shared/admission/index';
import { decideUndo, type UndoRefusal } from '../../shared/admission/undo';
import type { AdmissionLog } from './admission-log';
import type { StoreConnection } from './connection';
import type { ScanLog } from './scan-log';

/** What the undo is asked with: the scan-log number of an accepted scan of this station. */
export interface UndoRequest {
  scanSeq: number;
  /** This device's id (the origin of its records). */
  deviceId: string;
  gateId: string;
  gateName: string | null;
  /** Device clock now, unix ms; the gate's corrected now adds the stored offset to the cloud. */
  now: number;
  clockOffsetMs: number;
  /** The manifest change sequence the event's live copy has applied (stamped on the scan row). */
  manifestSeq: (eventId: string) => number | undefined;
  /** Whether the gate is in contact with the cloud or every peer (as for an admission). */
  confirmed: (eventId: string) => boolean;
}

export interface UndoDone {
  ok: true;
  eventId: string;
  serial: number;
  generation: number | null;
  /** The entry or exit taken back. */
  undone: AdmissionRef & { direction: ScanDirection; at: number };
  /** The undo record made. */
  undo: AdmissionRef & { at: number };
  /** The undo's row in the scan log (uploaded like a scan). */
  scanSeq: number;
}

export type UndoOutcome = UndoDone | { ok: false; refusal: UndoRefusal; message: string };

interface ScanRow {
  event_id: string | null;
  serial: number | null;
  generation: number | null;
  direction: 'in' | 'out' | 'undo';
  decision: 'accept' | 'reject';
  code_hash: string;
  manifest_seq: number;
  admission_seq: number | null;
}

export class AdmissionUndo {
  readonly #run: (request: UndoRequest) => UndoOutcome;
  readonly #scanLog: ScanLog;

  constructor(connection: StoreConnection, admissions: AdmissionLog, scanLog: ScanLog) {
    this.#scanLog = scanLog;
    const { sqlite } = connection;
    const scanBySeq: Database.Statement<[number], ScanRow> = sqlite.prepare(
      `SELECT event_id, serial, generation, direction, decision, code_hash, manifest_seq, admission_seq
         FROM scans WHERE seq = ?`,
    );
    const insertUndoRow: Database.Statement<unknown[], { seq: number }> = sqlite.prepare(
      `INSERT INTO scans (seq, id, gate_id, event_id, serial, generation, direction, decision, reason, detail,
         code_hash, scanned_at, clock_offset_ms, manifest_seq, admission_seq, unconfirmed, undoes_seq, uploaded)
       VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM scans), ?, ?, ?, ?, ?, 'undo', 'accept', 'OK', 'undo',
         ?, ?, ?, ?, ?, ?, ?, 0)
       RETURNING seq`,
    );
    // The decision reads and both writes in one transaction: nothing can slip in between (one writer).
    this.#run = connection.transactional((request: UndoRequest): UndoOutcome => {
      const scan = scanBySeq.get(request.scanSeq);
      if (
        scan?.decision !== 'accept' ||
        (scan.direction !== 'in' && scan.direction !== 'out') ||
        scan.admission_seq === null ||
        scan.event_id === null ||
        scan.serial === null
      ) {
        return {
          ok: false,
          refusal: 'ADMISSION_NOT_FOUND',
          message: 'No accepted entry or exit with this number at this station.',
        };
      }
      const eventId = scan.event_id;
      const serial = scan.serial;
      const target: AdmissionRef = { origin: request.deviceId, originSeq: scan.admission_seq };
      const correctedNow = request.now + request.clockOffsetMs;
      const decided = decideUndo(admissions.history(eventId, serial), target, correctedNow);
      if (!decided.ok) return decided;
      const originSeq = admissions.nextOwnSeq(eventId, request.deviceId);
      // Like an admission: after every record of the ticket this gate knows, on the common timeline.
      const at = admissionTimeAfter(correctedNow, admissions.latestAt(eventId, serial, request.deviceId));
      const unconfirmed = !request.confirmed(eventId);
      const row = insertUndoRow.get(
        uuidv7(),
        request.gateId,
        eventId,
        serial,
        scan.generation,
        scan.code_hash,
        request.now,
        at - request.now,
        request.manifestSeq(eventId) ?? scan.manifest_seq,
        originSeq,
        unconfirmed ? 1 : 0,
        scan.admission_seq,
      );
      if (!row) throw new Error('undo scan insert returned no sequence');
      admissions.appendOwn({
        eventId,
        serial,
        origin: request.deviceId,
        originSeq,
        direction: 'undo',
        undoes: target,
        at,
        gateId: request.gateId,
        gateName: request.gateName,
        unconfirmed,
        scanSeq: row.seq,
        receivedAt: request.now,
      });
      return {
        ok: true,
        eventId,
        serial,
        generation: scan.generation,
        undone: { ...target, direction: scan.direction, at: decided.target.at },
        undo: { origin: request.deviceId, originSeq, at },
        scanSeq: row.seq,
      };
    });
  }

  /**
   * Decides and, when allowed, records the undo of one of this station's accepted scans (one
   * FULL-synchronous transaction). Throws only when the disk refuses the write.
   */
  undo(request: UndoRequest): UndoOutcome {
    const outcome = this.#run(request);
    if (outcome.ok) this.#scanLog.noteUndone(outcome.undone.direction);
    return outcome;
  }
}
