/**
 * The history fold: what a door and the cloud decide from a ticket's admissions must not depend on the
 * order the records arrived in, nor on duplicates (a record heard from a peer and again from the cloud).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AdmissionRecord, admissionStateOf, compareAdmissions, lastAdmissionOf } from './history';

const A = '0190c3a4-0000-7000-8000-00000000000a';
const B = '0190c3a4-0000-7000-8000-00000000000b';
const T = Date.UTC(2026, 5, 1, 19);

const rec = (
  origin: string,
  originSeq: number,
  direction: 'in' | 'out',
  at: number,
  gateId = `gate-${origin.slice(-1)}`,
): AdmissionRecord => ({ origin, originSeq, direction, at, gateId, gateName: gateId.toUpperCase() });

describe('admissionStateOf', () => {
  it('a ticket never admitted is outside, with nothing to name', () => {
    const state = admissionStateOf([]);
    expect(state).toEqual({
      inside: false,
      zone: 'outside',
      enteredZones: [],
      doubleEntries: 0,
      records: 0,
      undone: 0,
    });
    expect(lastAdmissionOf(state)).toBeUndefined();
  });

  it('entry, exit, entry: inside, named by the latest stay’s first entry', () => {
    const state = admissionStateOf([
      rec(A, 1, 'in', T),
      rec(B, 1, 'out', T + 1000),
      rec(B, 2, 'in', T + 2000),
    ]);
    expect(state.inside).toBe(true);
    expect(state.enteredAt).toMatchObject({ at: T + 2000, gateId: 'gate-b', origin: B });
    expect(lastAdmissionOf(state)).toEqual({
      direction: 'in',
      at: T + 2000,
      gateId: 'gate-b',
      gateName: 'GATE-B',
    });
  });

  it('two entries at two doors (a partition): inside since the FIRST, one double entry', () => {
    const state = admissionStateOf([rec(B, 1, 'in', T + 300), rec(A, 1, 'in', T)]);
    expect(state.inside).toBe(true);
    expect(state.doubleEntries).toBe(1);
    expect(state.enteredAt).toMatchObject({ at: T, origin: A });
  });

  it('after an exit the state names the exit', () => {
    const state = admissionStateOf([rec(A, 1, 'in', T), rec(A, 2, 'out', T + 5)]);
    expect(state.inside).toBe(false);
    expect(state.enteredAt).toBeUndefined();
    expect(lastAdmissionOf(state)).toMatchObject({ direction: 'out', at: T + 5 });
  });

  it('equal times are ordered by origin, then by sequence', () => {
    const inB = rec(B, 1, 'in', T);
    const outA = rec(A, 1, 'out', T);
    // A sorts before B: the exit comes first, so the holder ends inside.
    expect(admissionStateOf([inB, outA]).inside).toBe(true);
    expect(compareAdmissions(rec(A, 2, 'in', T), rec(A, 1, 'out', T))).toBeGreaterThan(0);
  });

  it('the state does not depend on arrival order or on duplicates (property)', () => {
    const record = fc.record({
      origin: fc.constantFrom(A, B, 'cloud'),
      originSeq: fc.integer({ min: 1, max: 6 }),
      direction: fc.constantFrom<'in' | 'out'>('in', 'out'),
      at: fc.integer({ min: T, max: T + 20 }),
      gateId: fc.constantFrom('g1', 'g2'),
    });
    // One record per (origin, originSeq), as the protocol guarantees; then shuffled and partly repeated.
    const history = fc
      .uniqueArray(record, { selector: (r) => `${r.origin}/${r.originSeq}`, maxLength: 12 })
      .chain((records) =>
        fc.tuple(
          fc.constant(records),
          fc.shuffledSubarray(records, { minLength: records.length, maxLength: records.length }),
          fc.subarray(records),
        ),
      );
    fc.assert(
      fc.property(history, ([records, shuffled, repeats]) => {
        const expected = admissionStateOf(records);
        const got = admissionStateOf([...shuffled, ...repeats]);
        expect(got).toEqual(expected);
        expect(got.records).toBe(records.length);
      }),
      { numRuns: 300 },
    );
  });
});
