import { describe, expect, it } from 'vitest';
import { UNDO_WINDOW_MS } from '../../shared/admission/undo';
import type { ScanResult } from './agent-api';
import { afterAnswer, afterScan, ask, atTime, confirm, HIDDEN, keep, type UndoState } from './undo-control';

const EVENT = 'e-1';
const accept = (serial: number, seq: number): ScanResult => ({
  decision: 'accept',
  reason: 'OK',
  ticket: { eventId: EVENT, serial, typeNo: 1, typeName: 'Standing', generation: 0 },
  scannedAt: 0,
  latencyMs: 0.3,
  seq,
});
const used = (serial: number): ScanResult => ({
  decision: 'reject',
  reason: 'ALREADY_USED',
  ticket: { eventId: EVENT, serial, typeNo: 1, generation: 0 },
  scannedAt: 0,
  latencyMs: 0.3,
  seq: 99,
});

describe('the Undo bar’s state', () => {
  it('offers the latest accept, with its seq, direction and ticket', () => {
    const state = afterScan(HIDDEN, accept(7, 3), 'in', 1_000);
    expect(state).toEqual({
      kind: 'offered',
      offer: {
        seq: 3,
        eventId: EVENT,
        serial: 7,
        direction: 'in',
        ticketLine: 'Standing · No. 7',
        shownAt: 1_000,
      },
    });
    const next = afterScan(state, accept(8, 4), 'out', 2_000);
    expect(next).toMatchObject({ kind: 'offered', offer: { seq: 4, serial: 8, direction: 'out' } });
  });

  it('offers nothing for a reject, an accept without seq (an older agent) or without ticket', () => {
    expect(afterScan(HIDDEN, used(7), 'in', 0)).toBe(HIDDEN);
    const { seq: _seq, ...noSeq } = accept(7, 3);
    expect(afterScan(HIDDEN, noSeq, 'in', 0)).toBe(HIDDEN);
    const { ticket: _ticket, ...noTicket } = accept(7, 3);
    expect(afterScan(HIDDEN, noTicket, 'in', 0)).toBe(HIDDEN);
  });

  it('withdraws the offer when the same ticket is scanned again, keeps it for other tickets', () => {
    const offered = afterScan(HIDDEN, accept(7, 3), 'in', 0);
    expect(afterScan(offered, used(8), 'in', 10)).toBe(offered);
    expect(afterScan(offered, { ...used(8), ticket: undefined, reason: 'INVALID' }, 'in', 10)).toBe(offered);
    expect(afterScan(offered, used(7), 'in', 10)).toBe(HIDDEN);
    const confirming = ask(offered);
    expect(afterScan(confirming, used(7), 'in', 10)).toBe(HIDDEN);
  });

  it('withdraws the offer (and a question) when the 5-minute window has passed by the station’s clock', () => {
    const offered = afterScan(HIDDEN, accept(7, 3), 'in', 1_000);
    expect(atTime(offered, 1_000 + UNDO_WINDOW_MS - 1)).toBe(offered);
    expect(atTime(offered, 1_000 + UNDO_WINDOW_MS)).toBe(HIDDEN);
    expect(atTime(ask(offered), 1_000 + UNDO_WINDOW_MS)).toBe(HIDDEN);
  });

  it('asks before undoing: Undo → question → Keep goes back, Yes sends', () => {
    const offered = afterScan(HIDDEN, accept(7, 3), 'in', 0);
    expect(confirm(offered)).toBe(offered); // no undo without the question
    const asked = ask(offered);
    expect(asked.kind).toBe('confirming');
    expect(keep(asked)).toEqual(offered);
    const working = confirm(asked);
    expect(working).toMatchObject({ kind: 'working', offer: { seq: 3 } });
    // While the request is out, a new scan does not replace it, and the window does not end it.
    expect(afterScan(working, accept(9, 5), 'in', 10)).toBe(working);
    expect(atTime(working, UNDO_WINDOW_MS * 2)).toBe(working);
  });

  it('says the outcome in words, and keeps the offer when the agent did not answer', () => {
    const working = confirm(ask(afterScan(HIDDEN, accept(7, 3), 'in', 0))) as Extract<
      UndoState,
      { offer: unknown }
    >;
    const done = {
      undone: { origin: 'd', originSeq: 1, direction: 'in' as const, at: 1 },
      undo: { origin: 'd', originSeq: 2, at: 2 },
      ticket: { eventId: EVENT, serial: 7, generation: 0 },
      seq: 4,
    };
    expect(afterAnswer(working.offer, done)).toEqual({
      kind: 'result',
      ok: true,
      message: 'Entry undone — scan the ticket again to admit',
    });
    expect(
      afterAnswer(working.offer, { ...done, undone: { ...done.undone, direction: 'out' } }),
    ).toMatchObject({
      message: 'Exit undone — the holder counts as inside again',
    });
    expect(afterAnswer(working.offer, { refusal: 'UNDO_WINDOW_PASSED', message: 'x' })).toEqual({
      kind: 'result',
      ok: false,
      message: 'Too late to undo: more than 5 minutes have passed',
    });
    expect(afterAnswer(working.offer, { refusal: 'ADMISSION_NOT_LATEST', message: 'x' })).toMatchObject({
      message: 'Cannot undo: the ticket was scanned again since',
    });
    expect(afterAnswer(working.offer, 'unreachable')).toMatchObject({
      kind: 'offered',
      offer: working.offer,
    });
  });
});
