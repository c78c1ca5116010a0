/**
 * The state of a finished simulated run as the invariant checks see it: a plain snapshot of the gates'
 * SQLite stores and the cloud's PostgreSQL (read by collect.ts), what the crowd was told, and the
 * refunds and transfers the run made with when each gate's manifest showed them. Plain data, so a test
 * can plant a violation in a real snapshot and see the checks name exactly that one.
 */
import type { CodeKind } from './plan';

export interface GateScanRow {
  seq: number;
  id: string;
  decision: 'accept' | 'reject';
  reason: string;
  direction: 'in' | 'out';
  eventId: string | null;
  serial: number | null;
}

export interface ManifestTotals {
  rowCount: number;
  checksum: string;
}

export interface GateState {
  gate: number;
  deviceId: string;
  scans: GateScanRow[];
  ackedSeq: number;
  cursor: (ManifestTotals & { epoch: string; after: number }) | null;
  /** Totals recomputed over the live copy's rows. */
  live: ManifestTotals;
}

export interface CloudScanRow {
  deviceId: string;
  seq: number;
  id: string | null;
  accepted: number | null;
  serial: number | null;
  quarantined: number;
}

export interface CloudState {
  epoch: string;
  head: number;
  totals: ManifestTotals;
  /** device id → acked_seq */
  ackedSeq: Record<string, number>;
  scans: CloudScanRow[];
}

/** What one member of the crowd was told. */
export interface CrowdAnswer {
  gate: number;
  kind: CodeKind;
  /** The ticket the QR carries, when the run handed it out (not for forged or garbage codes). */
  qr: { serial: number; generation: number } | null;
  direction: 'in' | 'out';
  /** Driver clock when the scan was sent. */
  sentAt: number;
  decision: 'accept' | 'reject';
  reason: string;
  seq: number | undefined;
  ticketSerial: number | undefined;
}

export interface RevocationState {
  how: 'refund' | 'transfer';
  serial: number;
  generation: number;
  committedAt: number;
  lostAt?: number;
  knownAt: Array<number | undefined>;
}

export interface SimState {
  gates: GateState[];
  cloud: CloudState;
  answers: CrowdAnswer[];
  revocations: RevocationState[];
}
