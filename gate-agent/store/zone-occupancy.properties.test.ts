/**
 * Property (issue 18): whatever order a gate hears admission records in — entries and exits with and
 * without zones, undo records, from peers and the cloud, in batches, some of them rolled back by a failed
 * write, with the counts read in between and the store reopened — its live occupancy equals the shared
 * reference fold (`occupancyOf`) over the records its log holds, and every count is ≥ 0.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type AdmissionRecord, occupancyOf } from '../../shared/admission/history';
import { type TempStore, tempStore } from '../test-support/stores';
import type { StoredAdmission } from './admission-log';

const EVENT = '00000000-0000-4000-8000-0000000000e1';
const ORIGINS = ['cloud', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
const ZONES = ['outside', '00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2'];
const GATE = '00000000-0000-4000-8000-0000000000b1';

const stores: TempStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.cleanup();
});

type Draft = {
  serial: number;
  origin: number;
  direction: 'in' | 'out' | 'undo';
  at: number;
  zones: [number, number] | null;
  undoes: number;
};

const draftArb: fc.Arbitrary<Draft> = fc.record({
  serial: fc.integer({ min: 1, max: 6 }),
  origin: fc.integer({ min: 0, max: ORIGINS.length - 1 }),
  direction: fc.constantFrom('in' as const, 'out' as const, 'in' as const, 'undo' as const),
  at: fc.integer({ min: 0, max: 40 }),
  zones: fc.option(
    fc
      .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }))
      .filter(([from, to]) => from !== to),
    { nil: null },
  ),
  undoes: fc.nat(),
});

/** Numbers the drafts densely per origin and resolves what each undo record names (an earlier record). */
function records(drafts: readonly Draft[]): StoredAdmission[] {
  const seqs = new Map<string, number>();
  const made: StoredAdmission[] = [];
  for (const d of drafts) {
    const origin = ORIGINS[d.origin]!;
    const originSeq = (seqs.get(origin) ?? 0) + 1;
    seqs.set(origin, originSeq);
    const base = {
      eventId: EVENT,
      serial: d.serial,
      origin,
      originSeq,
      at: 1_800_000_000_000 + d.at,
      gateId: GATE,
      unconfirmed: false,
      signature: null,
    };
    const targets = made.filter((r) => r.serial === d.serial && r.direction !== 'undo');
    if (d.direction === 'undo') {
      const target = targets[d.undoes % Math.max(1, targets.length)];
      if (!target) continue;
      made.push({
        ...base,
        direction: 'undo',
        undoes: { origin: target.origin, originSeq: target.originSeq },
      });
    } else {
      made.push({
        ...base,
        direction: d.direction,
        ...(d.zones ? { fromZone: ZONES[d.zones[0]]!, toZone: ZONES[d.zones[1]]! } : {}),
      });
    }
  }
  return made;
}

/** The reference: the shared fold over what the log holds, ticket by ticket. */
function reference(held: readonly AdmissionRecord[] & readonly StoredAdmission[]): Record<string, number> {
  const bySerial = new Map<number, AdmissionRecord[]>();
  for (const r of held) bySerial.set(r.serial, [...(bySerial.get(r.serial) ?? []), r]);
  return Object.fromEntries(occupancyOf(bySerial.values()));
}

describe('the live occupancy', () => {
  it('equals the shared fold over the log, whatever the arrival order, batches, rollbacks and restarts', () => {
    fc.assert(
      fc.property(
        fc.array(draftArb, { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
        fc.array(fc.constantFrom('store', 'read', 'fail', 'reopen'), { minLength: 1, maxLength: 12 }),
        (drafts, shuffle, actions) => {
          const temp = tempStore();
          stores.push(temp);
          // A random arrival order: each record swapped with one chosen by the shuffle numbers.
          const arriving = records(drafts);
          for (let i = arriving.length - 1; i > 0; i--) {
            const j = (shuffle[i % shuffle.length] ?? 0) % (i + 1);
            [arriving[i], arriving[j]] = [arriving[j]!, arriving[i]!];
          }
          const held: StoredAdmission[] = [];
          let next = 0;
          for (const action of [...actions, 'store', 'store']) {
            const batch = arriving.slice(next, next + Math.ceil(arriving.length / 3));
            if (action === 'read') temp.store.occupancy.counts(EVENT);
            else if (action === 'reopen') temp.reopen();
            else if (action === 'fail') {
              // A write that fails part-way: nothing of it stays, on disk or in the counts — the
              // records still to come, and one that never arrives again.
              const phantom: StoredAdmission = {
                eventId: EVENT,
                serial: 99,
                origin: ORIGINS[1]!,
                originSeq: 1_000,
                direction: 'in',
                at: 1_800_000_000_000,
                gateId: GATE,
                unconfirmed: false,
                signature: null,
              };
              expect(() =>
                temp.store.inTransaction(() => {
                  temp.store.admissions.storeRecords([...batch, phantom], 'peer', 0);
                  throw new Error('disk full');
                }),
              ).toThrow('disk full');
            } else {
              temp.store.admissions.storeRecords(batch, next % 2 === 0 ? 'peer' : 'cloud', 0);
              held.push(...batch);
              next += batch.length;
            }
          }
          held.push(...arriving.slice(next));
          temp.store.admissions.storeRecords(arriving.slice(next), 'cloud', 0);
          const counts = Object.fromEntries(temp.store.occupancy.counts(EVENT));
          expect(counts).toEqual(reference(held));
          for (const n of Object.values(counts)) expect(n).toBeGreaterThan(0);
          temp.cleanup();
          stores.pop();
        },
      ),
      { numRuns: 60 },
    );
  });
});
