/** The undo rule and the fold's treatment of undo records. */
import { describe, expect, it } from 'vitest';
import { type AdmissionRecord, admissionStateOf } from './history';
import { decideUndo, UNDO_WINDOW_MS } from './undo';

const T0 = Date.UTC(2027, 4, 1, 17);
const entry = (origin: string, originSeq: number, at: number): AdmissionRecord => ({
  origin,
  originSeq,
  direction: 'in',
  at,
  gateId: 'g1',
});
const exit = (origin: string, originSeq: number, at: number): AdmissionRecord => ({
  ...entry(origin, originSeq, at),
  direction: 'out',
});
const undo = (origin: string, originSeq: number, at: number, of: AdmissionRecord): AdmissionRecord => ({
  origin,
  originSeq,
  direction: 'undo',
  at,
  gateId: 'g1',
  undoes: { origin: of.origin, originSeq: of.originSeq },
});

describe('the fold with undo records', () => {
  it('an undone entry leaves the holder outside, and a new entry is the first of a stay', () => {
    const first = entry('gate-a', 1, T0);
    const history = [first, undo('cloud', 1, T0 + 1000, first)];
    expect(admissionStateOf(history)).toMatchObject({
      inside: false,
      records: 0,
      undone: 1,
      doubleEntries: 0,
    });
    const again = admissionStateOf([...history, entry('gate-a', 2, T0 + 2000)]);
    expect(again).toMatchObject({ inside: true, doubleEntries: 0, records: 1, undone: 1 });
    expect(again.enteredAt?.at).toBe(T0 + 2000);
  });

  it('an undone exit puts the holder back inside, counted from the first entry', () => {
    const inRecord = entry('gate-a', 1, T0);
    const outRecord = exit('gate-a', 2, T0 + 60_000);
    const state = admissionStateOf([undo('gate-a', 3, T0 + 61_000, outRecord), outRecord, inRecord]);
    expect(state).toMatchObject({ inside: true, undone: 1 });
    expect(state.enteredAt?.at).toBe(T0);
  });

  it('an undo of an undo record, or of a record not in the history, takes nothing back', () => {
    const inRecord = entry('gate-a', 1, T0);
    const stray = undo('cloud', 1, T0 + 10, { ...inRecord, origin: 'gate-x' });
    const ofUndo = undo('cloud', 2, T0 + 20, stray);
    expect(admissionStateOf([inRecord, stray, ofUndo])).toMatchObject({
      inside: true,
      undone: 0,
      records: 1,
    });
  });
});

describe('decideUndo', () => {
  const inRecord = entry('gate-a', 1, T0);
  it('allows the latest movement within the window', () => {
    expect(decideUndo([inRecord], { origin: 'gate-a', originSeq: 1 }, T0 + UNDO_WINDOW_MS)).toEqual({
      ok: true,
      target: inRecord,
    });
  });
  it('refuses after the window', () => {
    const got = decideUndo([inRecord], { origin: 'gate-a', originSeq: 1 }, T0 + UNDO_WINDOW_MS + 1);
    expect(got).toMatchObject({ ok: false, refusal: 'UNDO_WINDOW_PASSED' });
  });
  it('refuses an unknown record and an undo record', () => {
    const u = undo('cloud', 1, T0 + 1, inRecord);
    expect(decideUndo([inRecord], { origin: 'gate-b', originSeq: 1 }, T0)).toMatchObject({
      refusal: 'ADMISSION_NOT_FOUND',
    });
    expect(decideUndo([inRecord, u], { origin: 'cloud', originSeq: 1 }, T0)).toMatchObject({
      refusal: 'ADMISSION_NOT_FOUND',
    });
  });
  it('refuses a second undo', () => {
    const history = [inRecord, undo('cloud', 1, T0 + 1, inRecord)];
    expect(decideUndo(history, { origin: 'gate-a', originSeq: 1 }, T0 + 2)).toMatchObject({
      refusal: 'ADMISSION_ALREADY_UNDONE',
    });
  });
  it('refuses an entry that an exit followed', () => {
    const history = [inRecord, exit('gate-b', 1, T0 + 1000)];
    expect(decideUndo(history, { origin: 'gate-a', originSeq: 1 }, T0 + 2000)).toMatchObject({
      refusal: 'ADMISSION_NOT_LATEST',
    });
  });
});
