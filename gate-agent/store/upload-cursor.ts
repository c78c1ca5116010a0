/**
 * The scan log's way up to the cloud: the longest gap-free prefix of this device's sequence the cloud
 * has acknowledged (the `upload_cursor` row, id = 1), the scans after it in upload form, and how an
 * acknowledgement moves the cursor — forward, or back when the cloud lost scans it had acknowledged.
 */
import { and, eq, gt, lte, max } from 'drizzle-orm';
import type { ScanRecord } from '../../shared/sync-protocol/index';
import type { StoreConnection } from './connection';
import * as schema from './schema';

/** The one cursor row's id. */
const CURSOR_ROW = 1;

type ScanRow = typeof schema.scans.$inferSelect;

function uploadFormOf(row: ScanRow): ScanRecord {
  return {
    id: row.id,
    seq: row.seq,
    // A scan made before enrollment finished has no gate; the cloud quarantines it rather than lose it.
    gateId: row.gateId ?? '',
    eventId: row.eventId,
    ticketSerial: row.serial,
    generation: row.generation,
    direction: row.direction,
    decision: row.decision,
    reason: row.reason,
    detail: row.detail,
    codeHash: row.codeHash,
    scannedAt: row.scannedAt,
    clockOffsetMs: row.clockOffsetMs,
    manifestSeq: row.manifestSeq,
    ...(row.admissionSeq !== null ? { admissionSeq: row.admissionSeq } : {}),
    ...(row.unconfirmed ? { unconfirmed: true } : {}),
    ...(row.undoesSeq !== null ? { undoesSeq: row.undoesSeq } : {}),
    // An accepted entry or exit at a venue with zones: the move its admission record made (issue 18).
    ...(row.fromZone !== null && row.toZone !== null ? { fromZone: row.fromZone, toZone: row.toZone } : {}),
  };
}

export class UploadCursor {
  readonly #connection: StoreConnection;

  constructor(connection: StoreConnection) {
    this.#connection = connection;
    this.ensureRow();
  }

  /** Creates the cursor row when it is missing (a new file, or right after a wipe). */
  ensureRow(): void {
    this.#connection.db
      .insert(schema.uploadCursor)
      .values({ id: CURSOR_ROW, ackedSeq: 0 })
      .onConflictDoNothing()
      .run();
  }

  #cursor(): typeof schema.uploadCursor.$inferSelect | undefined {
    return this.#connection.db
      .select()
      .from(schema.uploadCursor)
      .where(eq(schema.uploadCursor.id, CURSOR_ROW))
      .get();
  }

  /** The last scan sequence the cloud acknowledged (everything up to it is uploaded). */
  get ackedSeq(): number {
    return this.#cursor()?.ackedSeq ?? 0;
  }

  /** When the cloud last acknowledged an upload (device clock, survives restarts); null before the first. */
  get lastUploadAt(): number | null {
    return this.#cursor()?.lastUploadAt ?? null;
  }

  /** The last scan sequence recorded, 0 before the first scan. */
  get lastScanSeq(): number {
    return (
      this.#connection.db
        .select({ last: max(schema.scans.seq) })
        .from(schema.scans)
        .get()?.last ?? 0
    );
  }

  get pendingUploads(): number {
    return Math.max(0, this.lastScanSeq - this.ackedSeq);
  }

  /** The next scans to upload, in sequence order, from just after the acknowledged sequence. */
  scansToUpload(limit: number): ScanRecord[] {
    return this.#scansAfter(this.ackedSeq, limit);
  }

  #scansAfter(afterSeq: number, limit: number): ScanRecord[] {
    return this.#connection.db
      .select()
      .from(schema.scans)
      .where(gt(schema.scans.seq, afterSeq))
      .orderBy(schema.scans.seq)
      .limit(limit)
      .all()
      .map(uploadFormOf);
  }

  /**
   * Applies the cloud's acknowledgement: every scan up to `ackedSeq` is marked uploaded. An
   * acknowledgement BELOW the local cursor means the cloud lost scans it had acknowledged (restored from
   * a backup, SPEC 10): the cursor moves back and those scans are marked pending again, so the uploader
   * sends them once more (the cloud stores each seq once, so nothing is doubled). Returns the new cursor.
   */
  acknowledgeUploads(ackedSeq: number, now: number): number {
    const { db } = this.#connection;
    return this.#connection.transaction(() => {
      const current = this.ackedSeq;
      const target = Math.max(0, Math.min(ackedSeq, this.lastScanSeq));
      if (target === current) return current;
      const [from, to] = target > current ? [current, target] : [target, current];
      db.update(schema.scans)
        .set({ uploaded: target > current })
        .where(and(gt(schema.scans.seq, from), lte(schema.scans.seq, to)))
        .run();
      db.update(schema.uploadCursor)
        .set({ ackedSeq: target, lastUploadAt: now })
        .where(eq(schema.uploadCursor.id, CURSOR_ROW))
        .run();
      return target;
    });
  }

  /** The last scan the cloud acknowledged, re-sent as a probe to learn whether the cloud still has it. */
  lastAcknowledgedScan(): ScanRecord | undefined {
    const acked = this.ackedSeq;
    if (acked === 0) return undefined;
    return this.#scansAfter(acked - 1, 1)[0];
  }
}
