/**
 * The SPEC section 10 invariants of a finished simulated run, checked over a plain snapshot of its
 * state (the gates' SQLite stores, the cloud's PostgreSQL, and what the crowd was told). Collecting the
 * state (collect.ts) and judging it (here) are separate so a test can plant a violation in a real state
 * and see the checker name exactly that one.
 *
 *  - accepted-scan-kept: every scan answered `accept` to the crowd is in that gate's durable log at its
 *    sequence number, as an accept of the same ticket (after every kill -9 and restart).
 *  - cloud-exactly-once: every scan in a gate's log is in the cloud once, under the same (device, seq)
 *    and scan id, with the same verdict; nothing else is there; each scan id once in the whole cloud.
 *  - gap-free: the cloud's acknowledged sequence of each device is the gate's last sequence, and the
 *    device's rows are exactly 1..acked_seq.
 *  - no-stuck-queue: nothing pending upload on any gate once links and cloud are back.
 *  - manifest-identical: each gate's live manifest (epoch, cursor, row count, checksum — and the
 *    checksum recomputed over its rows) equals the cloud's.
 *  - no-false-accept: no forged, garbage or other-event code accepted; no QR accepted by a gate after
 *    that gate's live manifest showed its revocation (while the cloud still held it); no ticket let in
 *    twice at one gate without leaving in between.
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

export type Invariant =
  | 'accepted-scan-kept'
  | 'cloud-exactly-once'
  | 'gap-free'
  | 'no-stuck-queue'
  | 'manifest-identical'
  | 'no-false-accept';

export interface Violation {
  invariant: Invariant;
  gate?: number;
  message: string;
}

const NEVER_ACCEPTED: ReadonlySet<CodeKind> = new Set(['forged', 'garbage', 'other-event']);

/** Checks every invariant; returns the violations found (empty when the run was clean). */
export function checkInvariants(state: SimState): Violation[] {
  const violations: Violation[] = [];
  const add = (invariant: Invariant, message: string, gate?: number) =>
    violations.push({ invariant, message, ...(gate === undefined ? {} : { gate }) });

  const cloudByDevice = new Map<string, Map<number, CloudScanRow>>();
  const idCount = new Map<string, number>();
  for (const row of state.cloud.scans) {
    const rows = cloudByDevice.get(row.deviceId) ?? new Map<number, CloudScanRow>();
    cloudByDevice.set(row.deviceId, rows);
    rows.set(row.seq, row);
    if (row.id) idCount.set(row.id, (idCount.get(row.id) ?? 0) + 1);
  }
  for (const [id, n] of idCount) if (n > 1) add('cloud-exactly-once', `scan id ${id} is stored ${n} times`);

  for (const gate of state.gates) {
    const g = gate.gate;
    const bySeq = new Map(gate.scans.map((s) => [s.seq, s]));
    const lastSeq = gate.scans.reduce((max, s) => Math.max(max, s.seq), 0);

    // accepted-scan-kept
    for (const answer of state.answers) {
      if (answer.gate !== g || answer.decision !== 'accept') continue;
      const row = answer.seq === undefined ? undefined : bySeq.get(answer.seq);
      if (!row) {
        add(
          'accepted-scan-kept',
          `accept of serial ${answer.ticketSerial} (seq ${answer.seq}) is not in the log`,
          g,
        );
      } else if (row.decision !== 'accept' || row.serial !== (answer.ticketSerial ?? null)) {
        add(
          'accepted-scan-kept',
          `seq ${row.seq} was answered accept of serial ${answer.ticketSerial}; the log holds ${row.decision} of serial ${row.serial}`,
          g,
        );
      }
    }

    // cloud-exactly-once, gap-free
    const cloudRows = cloudByDevice.get(gate.deviceId) ?? new Map<number, CloudScanRow>();
    for (const row of gate.scans) {
      const held = cloudRows.get(row.seq);
      const what = `seq ${row.seq} (${row.decision} ${row.reason}${row.serial === null ? '' : ` serial ${row.serial}`})`;
      if (!held) add('cloud-exactly-once', `${what} is missing in the cloud`, g);
      else if (held.quarantined) add('cloud-exactly-once', `${what} is quarantined in the cloud`, g);
      else if (held.id !== row.id || held.accepted !== (row.decision === 'accept' ? 1 : 0))
        add(
          'cloud-exactly-once',
          `${what}: the cloud holds another scan (id ${held.id}, accepted ${held.accepted})`,
          g,
        );
    }
    for (const seq of cloudRows.keys())
      if (!bySeq.has(seq))
        add('cloud-exactly-once', `the cloud holds seq ${seq}, which the gate never made`, g);
    const acked = state.cloud.ackedSeq[gate.deviceId];
    if (acked !== lastSeq)
      add('gap-free', `the cloud acknowledged ${acked ?? 'nothing'}; the gate's last seq is ${lastSeq}`, g);

    // no-stuck-queue
    if (lastSeq - gate.ackedSeq > 0)
      add(
        'no-stuck-queue',
        `${lastSeq - gate.ackedSeq} scans still pending upload (acked ${gate.ackedSeq})`,
        g,
      );

    // manifest-identical
    const { cloud } = state;
    if (!gate.cursor) add('manifest-identical', 'no manifest installed', g);
    else {
      const diffs: string[] = [];
      if (gate.cursor.epoch !== cloud.epoch) diffs.push(`epoch ${gate.cursor.epoch} ≠ ${cloud.epoch}`);
      if (gate.cursor.after !== cloud.head) diffs.push(`cursor ${gate.cursor.after} ≠ head ${cloud.head}`);
      if (gate.cursor.rowCount !== cloud.totals.rowCount || gate.cursor.checksum !== cloud.totals.checksum)
        diffs.push(
          `totals ${gate.cursor.rowCount}/${gate.cursor.checksum} ≠ cloud ${cloud.totals.rowCount}/${cloud.totals.checksum}`,
        );
      if (gate.live.rowCount !== gate.cursor.rowCount || gate.live.checksum !== gate.cursor.checksum)
        diffs.push(
          `rows ${gate.live.rowCount}/${gate.live.checksum} ≠ its cursor ${gate.cursor.rowCount}/${gate.cursor.checksum}`,
        );
      if (diffs.length > 0) add('manifest-identical', diffs.join('; '), g);
    }

    // no-false-accept: twice in at one gate
    const inside = new Map<string, number>();
    for (const row of [...gate.scans].sort((a, b) => a.seq - b.seq)) {
      if (row.decision !== 'accept' || row.serial === null) continue;
      const key = `${row.eventId}/${row.serial}`;
      if (row.direction === 'out') inside.delete(key);
      else if (inside.has(key))
        add(
          'no-false-accept',
          `serial ${row.serial} let in again at seq ${row.seq} (in at seq ${inside.get(key)}, never out)`,
          g,
        );
      else inside.set(key, row.seq);
    }
  }

  // no-false-accept: codes that are never tickets of this event, and revocations the gate knew
  for (const answer of state.answers) {
    if (answer.decision !== 'accept') continue;
    if (NEVER_ACCEPTED.has(answer.kind)) {
      add(
        'no-false-accept',
        `a ${answer.kind} code was accepted (seq ${answer.seq}, ${answer.reason})`,
        answer.gate,
      );
      continue;
    }
    if (!answer.qr) continue;
    const { serial, generation } = answer.qr;
    for (const r of state.revocations) {
      if (r.serial !== serial || r.generation !== generation) continue;
      const known = r.knownAt[answer.gate];
      if (known === undefined || known >= answer.sentAt) continue;
      if (r.lostAt !== undefined && r.lostAt <= answer.sentAt) continue;
      add(
        'no-false-accept',
        `serial ${serial} generation ${generation} accepted at seq ${answer.seq} (${answer.reason}) ` +
          `${answer.sentAt - known} ms after the gate's manifest showed its ${r.how}`,
        answer.gate,
      );
    }
  }
  return violations;
}
