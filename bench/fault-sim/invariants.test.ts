/**
 * The venue scenario's no-false-accept check on synthetic states: a ticket let in twice at one gate is a
 * violation unless it left in between — at that gate, or at another one (gates share admissions since
 * issue 14, so an exit at gate 1 rightly lets the holder back in at gate 0).
 */
import { describe, expect, it } from 'vitest';
import { noFalseAccept } from './invariants';
import type { CrowdAnswer, GateScanRow, GateState, SimState } from './sim-state';

const EVENT = 'e1';

function row(seq: number, direction: 'in' | 'out'): GateScanRow {
  return { seq, id: `s${seq}`, decision: 'accept', reason: 'OK', direction, eventId: EVENT, serial: 7 };
}

function gate(index: number, scans: GateScanRow[]): GateState {
  const totals = { rowCount: 0, checksum: '0' };
  return { gate: index, deviceId: `d${index}`, scans, ackedSeq: scans.length, cursor: null, live: totals };
}

function told(gateIndex: number, seq: number, direction: 'in' | 'out', sentAt: number): CrowdAnswer {
  return {
    gate: gateIndex,
    kind: 'valid',
    qr: { serial: 7, generation: 1 },
    direction,
    sentAt,
    decision: 'accept',
    reason: 'OK',
    seq,
    ticketSerial: 7,
  };
}

/** Gate 0 admits ticket 7 at t=1 000 and t=3 000; gate 1 may let it out at `exitAt`. */
function run(exitAt?: number): SimState {
  const answers = [told(0, 1, 'in', 1_000), told(0, 2, 'in', 3_000)];
  if (exitAt !== undefined) answers.push(told(1, 1, 'out', exitAt));
  return {
    gates: [gate(0, [row(1, 'in'), row(2, 'in')]), gate(1, exitAt === undefined ? [] : [row(1, 'out')])],
    cloud: { epoch: 'x', head: 0, totals: { rowCount: 0, checksum: '0' }, ackedSeq: {}, scans: [] },
    answers,
    revocations: [],
  };
}

describe('no-false-accept: in twice at one gate', () => {
  it('is a violation with no exit anywhere between', () => {
    expect(noFalseAccept(run()).map((v) => v.message)).toEqual([
      'serial 7 let in again at seq 2 (in at seq 1, never out)',
    ]);
  });

  it('is a violation when the other gate’s exit came after the second entry', () => {
    expect(noFalseAccept(run(4_000))).toHaveLength(1);
  });

  it('is fine when the holder left through another gate in between', () => {
    expect(noFalseAccept(run(2_000))).toEqual([]);
  });
});
