/**
 * The scan hot path's writes: the durable scan log (accepted and rejected, a gap-free sequence from 1)
 * and each ticket's admission state at this gate (what re-entry and ALREADY_USED are decided on). A scan
 * and the admission it changes are committed in ONE transaction (synchronous=FULL) before the agent
 * answers, so an `accept` shown at the door is on disk.
 *
 * Speed matters here more than anywhere: the statements are plain better-sqlite3, prepared once (a few
 * µs each; drizzle's query building would cost more than the lookup). Their row types are declared on
 * the statements rather than parsed: the tables are this store's own, written only by this module.
 */
import type Database from 'better-sqlite3';
import { count } from 'drizzle-orm';
import type { LastAdmission, ScanDirection } from '../../shared/admission/index';
import type { ScanRecord } from '../../shared/sync-protocol/index';
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
  /** Set on accept: the ticket's new admission state, written in the same transaction. */
  admission?: { eventId: string; serial: number; gateName: string | null };
}

/** Decisions since the log began (or since the last wipe). */
export interface DecisionCounters {
  accepted: number;
  rejected: number;
}

interface AdmissionRow {
  direction: ScanDirection;
  at: number;
  gate_id: string;
  gate_name: string | null;
}

export class ScanLog {
  readonly #connection: StoreConnection;
  readonly #selectAdmission: Database.Statement<[string, number], AdmissionRow>;
  readonly #record: (scan: ScanToRecord) => number;
  #counters: DecisionCounters = { accepted: 0, rejected: 0 };

  /** `clockOffsetMs` reads the device's current clock offset, stamped on every scan. */
  constructor(connection: StoreConnection, clockOffsetMs: () => number) {
    this.#connection = connection;
    const { sqlite } = connection;
    this.#selectAdmission = sqlite.prepare(
      'SELECT direction, at, gate_id, gate_name FROM admissions WHERE event_id = ? AND serial = ?',
    );
    // The sequence is taken inside the insert's own transaction: gap-free because a failed transaction
    // takes no number, and there is one writer (this process) per store.
    const insertScan: Database.Statement<unknown[], { seq: number }> = sqlite.prepare(
      `INSERT INTO scans (seq, id, gate_id, event_id, serial, generation, direction, decision, reason, detail,
         code_hash, scanned_at, clock_offset_ms, manifest_seq, uploaded)
       VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM scans), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
       RETURNING seq`,
    );
    const upsertAdmission = sqlite.prepare(
      `INSERT INTO admissions (event_id, serial, direction, at, gate_id, gate_name, scan_seq)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (event_id, serial) DO UPDATE SET direction = excluded.direction, at = excluded.at,
         gate_id = excluded.gate_id, gate_name = excluded.gate_name, scan_seq = excluded.scan_seq`,
    );
    this.#record = connection.transactional((scan: ScanToRecord) => {
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
        clockOffsetMs(),
        scan.manifestSeq,
      );
      if (!row) throw new Error('scan insert returned no sequence');
      if (scan.admission && scan.decision === 'accept') {
        upsertAdmission.run(
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
    this.reloadCounters();
  }

  /** The ticket's last accepted scan at this gate, or undefined when it was never admitted here. */
  lastAdmission(eventId: string, serial: number): LastAdmission | undefined {
    const row = this.#selectAdmission.get(eventId, serial);
    if (!row) return undefined;
    return { direction: row.direction, at: row.at, gateId: row.gate_id, gateName: row.gate_name };
  }

  /**
   * Records a scan and, on accept, the ticket's admission state, in one FULL-synchronous transaction
   * (a savepoint inside a caller's group commit). Returns the scan's sequence number. Throws only when
   * the disk refuses the write.
   */
  record(scan: ScanToRecord): number {
    const seq = this.#record(scan);
    if (scan.decision === 'accept') this.#counters.accepted++;
    else this.#counters.rejected++;
    return seq;
  }

  /** Recounts accepted/rejected from the log (at start, after a failed group commit, after a wipe). */
  reloadCounters(): void {
    const counters: DecisionCounters = { accepted: 0, rejected: 0 };
    for (const row of this.#connection.db
      .select({ decision: schema.scans.decision, n: count() })
      .from(schema.scans)
      .groupBy(schema.scans.decision)
      .all()) {
      if (row.decision === 'accept') counters.accepted = row.n;
      else counters.rejected += row.n;
    }
    this.#counters = counters;
  }

  get counters(): DecisionCounters {
    return { ...this.#counters };
  }
}
