/**
 * The SPEC section 10 invariants of a finished simulated run, one function each, named for the invariant
 * it checks over a SimState snapshot:
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
 *    twice at one gate without leaving in between (at any gate: gates share admissions).
 */
import type { CodeKind } from './plan';
import type { CloudScanRow, GateState, SimState } from './sim-state';

/** The invariants of the venue fault scenario; other scenarios name their own. */
export type Invariant =
  | 'accepted-scan-kept'
  | 'cloud-exactly-once'
  | 'gap-free'
  | 'no-stuck-queue'
  | 'manifest-identical'
  | 'no-false-accept';

export interface Violation {
  /** The invariant's name as reported (`VIOLATION seed N [invariant] …`). */
  invariant: string;
  gate?: number;
  message: string;
}

/** One invariant: every violation of it in a finished run's state, empty when it holds. */
export type InvariantCheck = (state: SimState) => Violation[];

const NEVER_ACCEPTED: ReadonlySet<CodeKind> = new Set(['forged', 'garbage', 'other-event']);

function violation(invariant: Invariant, message: string, gate?: number): Violation {
  return { invariant, message, ...(gate === undefined ? {} : { gate }) };
}

const lastSeqOf = (gate: GateState) => gate.scans.reduce((max, s) => Math.max(max, s.seq), 0);

/** Every scan the crowd was told `accept` is in that gate's log at its seq, as an accept of that ticket. */
export function acceptedScanKept(state: SimState): Violation[] {
  const found: Violation[] = [];
  for (const gate of state.gates) {
    const bySeq = new Map(gate.scans.map((s) => [s.seq, s]));
    for (const answer of state.answers) {
      if (answer.gate !== gate.gate || answer.decision !== 'accept') continue;
      const row = answer.seq === undefined ? undefined : bySeq.get(answer.seq);
      if (!row) {
        found.push(
          violation(
            'accepted-scan-kept',
            `accept of serial ${answer.ticketSerial} (seq ${answer.seq}) is not in the log`,
            gate.gate,
          ),
        );
      } else if (row.decision !== 'accept' || row.serial !== (answer.ticketSerial ?? null)) {
        found.push(
          violation(
            'accepted-scan-kept',
            `seq ${row.seq} was answered accept of serial ${answer.ticketSerial}; the log holds ${row.decision} of serial ${row.serial}`,
            gate.gate,
          ),
        );
      }
    }
  }
  return found;
}

/** Every gate scan in the cloud once, with its id and verdict, not quarantined; nothing else; no id twice. */
export function cloudExactlyOnce(state: SimState): Violation[] {
  const found: Violation[] = [];
  const cloudByDevice = new Map<string, Map<number, CloudScanRow>>();
  const idCount = new Map<string, number>();
  for (const row of state.cloud.scans) {
    const rows = cloudByDevice.get(row.deviceId) ?? new Map<number, CloudScanRow>();
    cloudByDevice.set(row.deviceId, rows);
    rows.set(row.seq, row);
    if (row.id) idCount.set(row.id, (idCount.get(row.id) ?? 0) + 1);
  }
  for (const [id, n] of idCount)
    if (n > 1) found.push(violation('cloud-exactly-once', `scan id ${id} is stored ${n} times`));

  for (const gate of state.gates) {
    const g = gate.gate;
    const cloudRows = cloudByDevice.get(gate.deviceId) ?? new Map<number, CloudScanRow>();
    for (const row of gate.scans) {
      const held = cloudRows.get(row.seq);
      const what = `seq ${row.seq} (${row.decision} ${row.reason}${row.serial === null ? '' : ` serial ${row.serial}`})`;
      if (!held) found.push(violation('cloud-exactly-once', `${what} is missing in the cloud`, g));
      else if (held.quarantined)
        found.push(violation('cloud-exactly-once', `${what} is quarantined in the cloud`, g));
      else if (held.id !== row.id || held.accepted !== (row.decision === 'accept' ? 1 : 0))
        found.push(
          violation(
            'cloud-exactly-once',
            `${what}: the cloud holds another scan (id ${held.id}, accepted ${held.accepted})`,
            g,
          ),
        );
    }
    const seqs = new Set(gate.scans.map((s) => s.seq));
    for (const seq of cloudRows.keys())
      if (!seqs.has(seq))
        found.push(
          violation('cloud-exactly-once', `the cloud holds seq ${seq}, which the gate never made`, g),
        );
  }
  return found;
}

/** The cloud acknowledged exactly up to each gate's last sequence number. */
export function gapFree(state: SimState): Violation[] {
  const found: Violation[] = [];
  for (const gate of state.gates) {
    const acked = state.cloud.ackedSeq[gate.deviceId];
    const lastSeq = lastSeqOf(gate);
    if (acked !== lastSeq)
      found.push(
        violation(
          'gap-free',
          `the cloud acknowledged ${acked ?? 'nothing'}; the gate's last seq is ${lastSeq}`,
          gate.gate,
        ),
      );
  }
  return found;
}

/** Nothing is left pending upload on any gate. */
export function noStuckQueue(state: SimState): Violation[] {
  const found: Violation[] = [];
  for (const gate of state.gates) {
    const pending = lastSeqOf(gate) - gate.ackedSeq;
    if (pending > 0)
      found.push(
        violation(
          'no-stuck-queue',
          `${pending} scans still pending upload (acked ${gate.ackedSeq})`,
          gate.gate,
        ),
      );
  }
  return found;
}

/** Each gate's live manifest equals the cloud's, and its rows agree with its own cursor. */
export function manifestIdentical(state: SimState): Violation[] {
  const found: Violation[] = [];
  const { cloud } = state;
  for (const gate of state.gates) {
    if (!gate.cursor) {
      found.push(violation('manifest-identical', 'no manifest installed', gate.gate));
      continue;
    }
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
    if (diffs.length > 0) found.push(violation('manifest-identical', diffs.join('; '), gate.gate));
  }
  return found;
}

/**
 * No ticket in twice at one gate without an `out` between — at that gate or at another one, since gates
 * share their admissions (an exit at gate 1 lets the holder back in at gate 0); no code that is never a
 * ticket of this event accepted; no QR accepted after the gate's manifest showed its revocation (unless
 * a restore had since made the cloud forget it).
 */
export function noFalseAccept(state: SimState): Violation[] {
  const found: Violation[] = [];
  // When each gate's scans were sent (driver clock); a scan whose answer was lost has no time.
  const sentAt = new Map(state.answers.map((a) => [`${a.gate}/${a.seq}`, a.sentAt]));
  const exits = state.gates.flatMap((gate) =>
    gate.scans
      .filter((row) => row.decision === 'accept' && row.direction === 'out' && row.serial !== null)
      .map((row) => ({
        gate: gate.gate,
        key: `${row.eventId}/${row.serial}`,
        at: sentAt.get(`${gate.gate}/${row.seq}`),
      })),
  );
  /** An exit of `key` at another gate that may lie between the two entries (an unknown time may). */
  const exitElsewhere = (gate: number, key: string, from: number | undefined, to: number | undefined) =>
    exits.some(
      (e) =>
        e.gate !== gate &&
        e.key === key &&
        (e.at === undefined || ((from === undefined || e.at > from) && (to === undefined || e.at < to))),
    );
  for (const gate of state.gates) {
    const inside = new Map<string, number>();
    for (const row of [...gate.scans].sort((a, b) => a.seq - b.seq)) {
      if (row.decision !== 'accept' || row.serial === null) continue;
      const key = `${row.eventId}/${row.serial}`;
      const before = inside.get(key);
      if (row.direction === 'out') inside.delete(key);
      else if (
        before !== undefined &&
        !exitElsewhere(
          gate.gate,
          key,
          sentAt.get(`${gate.gate}/${before}`),
          sentAt.get(`${gate.gate}/${row.seq}`),
        )
      )
        found.push(
          violation(
            'no-false-accept',
            `serial ${row.serial} let in again at seq ${row.seq} (in at seq ${before}, never out)`,
            gate.gate,
          ),
        );
      else inside.set(key, row.seq);
    }
  }
  for (const answer of state.answers) {
    if (answer.decision !== 'accept') continue;
    if (NEVER_ACCEPTED.has(answer.kind)) {
      found.push(
        violation(
          'no-false-accept',
          `a ${answer.kind} code was accepted (seq ${answer.seq}, ${answer.reason})`,
          answer.gate,
        ),
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
      found.push(
        violation(
          'no-false-accept',
          `serial ${serial} generation ${generation} accepted at seq ${answer.seq} (${answer.reason}) ` +
            `${answer.sentAt - known} ms after the gate's manifest showed its ${r.how}`,
          answer.gate,
        ),
      );
    }
  }
  return found;
}

/** The venue fault scenario's invariants, in the order their violations are reported. */
export const VENUE_INVARIANTS: readonly InvariantCheck[] = [
  acceptedScanKept,
  cloudExactlyOnce,
  gapFree,
  noStuckQueue,
  manifestIdentical,
  noFalseAccept,
];
