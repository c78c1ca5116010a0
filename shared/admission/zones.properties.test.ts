/**
 * Counts you can trust (issue 18), as properties over random venues: 0–4 zones with random capacities,
 * restricted flags and re-entry policies; gates with random passages; ticket types with random zone
 * lists; and random scan sequences decided by `decideAdmission` at several doors, each from its own
 * partial view — records reach the other doors late, out of order, twice, or not until a partition heals
 * (test-support/zone-door.ts builds each decision the way a gate does). The records are folded with
 * admissionStateOf / occupancyOf.
 *
 *  - every zone: 0 ≤ inside ≤ admitted (the tickets a standing record ever moved into it);
 *  - the sum over zones ≤ unique holders inside ≤ tickets issued;
 *  - occupancy depends on neither record order nor duplicates: replicas with the same records agree;
 *  - one connected door (no partition): an entry never takes a zone over its capacity (only an exit back
 *    from an inner zone may: nobody is trapped) and no ticket is admitted twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admissionStateOf, effectiveMovements, occupancyOf } from './history';
import {
  DOORS,
  type DoorGate,
  type DoorTicket,
  type DoorVenue,
  decideAtDoor,
  historiesOf,
  recordOf,
  type SerialRecord,
} from './test-support/zone-door';
import { defaultZoneOf, OUTSIDE, recordMove, type ZoneRule } from './zones';

const NUM_RUNS = 150;

interface World {
  venue: DoorVenue;
  gates: DoorGate[];
  tickets: DoorTicket[];
}

interface Step {
  door: number;
  gate: number;
  ticket: number;
  direction: 'in' | 'out';
  /** Steps until each other door hears of this step's record (undefined: not until the end). */
  delays: (number | undefined)[];
  /** Undo the deciding door's latest record instead of scanning (the partition property only). */
  undo: boolean;
}

const zoneArb = (index: number) =>
  fc
    .record({
      capacity: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
      restricted: fc.nat(3).map((n) => n === 0),
      reentry: fc.boolean(),
    })
    .map((z): ZoneRule => ({ id: `z${index}`, name: `Zone ${index}`, ...z }));

const worldArb: fc.Arbitrary<World> = fc
  .integer({ min: 0, max: 4 })
  .chain((zoneCount) => {
    const ids = Array.from({ length: zoneCount }, (_, i) => `z${i}`);
    const zones = fc.tuple(...Array.from({ length: zoneCount }, (_, i) => zoneArb(i)));
    // A passage: the default, or from outside/a zone into another zone.
    const passage = fc
      .record({
        fromZoneId: fc.option(fc.constantFrom(...(ids.length ? ids : ['z0'])), { nil: null }),
        toZoneId: fc.option(fc.constantFrom(...(ids.length ? ids : ['z0'])), { nil: null }),
      })
      .map((p) => (zoneCount === 0 ? {} : p));
    const zoneList = fc.oneof(fc.constant(null), fc.subarray(ids));
    return fc.record({
      zones: zones.map((z) => [...z]),
      passages: fc.array(passage, { minLength: 1, maxLength: 4 }),
      types: fc.array(zoneList, { minLength: 1, maxLength: 3 }),
      ticketTypes: fc.array(fc.nat(2), { minLength: 1, maxLength: 6 }),
    });
  })
  .map(({ zones, passages, types, ticketTypes }) => {
    const first = defaultZoneOf(zones);
    // The main door (the default passage) is always there; the others are random.
    const gates = [{}, ...passages]
      .map((p, i): DoorGate => ({ id: `g${i}`, name: `Gate ${i}`, ...p }))
      // A passage leads somewhere else: its two sides (defaults filled in) differ.
      .filter((g) => (g.fromZoneId ?? OUTSIDE) !== (g.toZoneId ?? first));
    const tickets = ticketTypes.map((t, i): DoorTicket => {
      const typeNo = t % types.length;
      return { serial: i + 1, typeNo, zoneIds: types[typeNo] ?? null };
    });
    return { venue: { zones }, gates, tickets };
  });

const stepsArb = (doors: number, undos: boolean) =>
  fc.array(
    fc.record({
      door: fc.nat(doors - 1),
      gate: fc.nat(4),
      ticket: fc.nat(5),
      direction: fc.constantFrom<'in' | 'out'>('in', 'in', 'out'),
      delays: fc.array(fc.option(fc.nat(6), { nil: undefined }), { minLength: doors, maxLength: doors }),
      undo: undos ? fc.boolean().chain((b) => (b ? fc.boolean() : fc.constant(false))) : fc.constant(false),
    }),
    { maxLength: 60 },
  );

/** Plays the steps on `doors` doors; returns every door's records (before and after healing) and all. */
function play(world: World, doors: number, steps: readonly Step[], onStep?: (check: StepCheck) => void) {
  const known: SerialRecord[][] = Array.from({ length: doors }, () => []);
  const inbox: { to: number; due: number; record: SerialRecord }[] = [];
  const all: SerialRecord[] = [];
  const seqs = new Array<number>(doors).fill(0);
  steps.forEach((step, index) => {
    for (const mail of inbox.filter((m) => m.due === index)) known[mail.to]!.push(mail.record);
    const gate = world.gates[step.gate % world.gates.length]!;
    const ticket = world.tickets[step.ticket % world.tickets.length]!;
    const mine = known[step.door]!;
    const at = DOORS + 60_000 + index * 1_000;
    let record: SerialRecord | undefined;
    if (step.undo) {
      const latest = mine.filter((r) => r.origin === `d${step.door}` && r.direction !== 'undo').at(-1);
      if (latest) {
        seqs[step.door]!++;
        const undoes = { origin: latest.origin, originSeq: latest.originSeq };
        record = {
          origin: `d${step.door}`,
          originSeq: seqs[step.door]!,
          serial: latest.serial,
          direction: 'undo',
          undoes,
          at,
          gateId: gate.id,
        };
      }
    } else {
      const before = occupancyOf(historiesOf(mine), defaultZoneOf(world.venue.zones));
      const decision = decideAtDoor(world.venue, gate, ticket, step.direction, mine, at);
      if (decision.decision === 'accept') {
        seqs[step.door]!++;
        const scan = {
          origin: `d${step.door}`,
          originSeq: seqs[step.door]!,
          serial: ticket.serial,
          direction: step.direction,
          at,
          gateId: gate.id,
        };
        record = recordOf(world.venue, decision, scan);
      }
      if (record) mine.push(record);
      const after = occupancyOf(historiesOf(mine), defaultZoneOf(world.venue.zones));
      onStep?.({ step, decision: decision.decision, before, after, known: mine });
    }
    if (!record) return;
    if (step.undo) mine.push(record);
    all.push(record);
    step.delays.forEach((delay, to) => {
      if (to !== step.door)
        inbox.push({ to, due: delay === undefined ? Number.POSITIVE_INFINITY : index + 1 + delay, record });
    });
  });
  const partial = known.map((k) => [...k]);
  // Healing: every door hears everything it missed, in reverse order of sending.
  for (const mail of [...inbox].reverse())
    if (!known[mail.to]!.includes(mail.record)) known[mail.to]!.push(mail.record);
  return { partial, healed: known, all };
}

interface StepCheck {
  step: Step;
  decision: 'accept' | 'reject';
  before: Map<string, number>;
  after: Map<string, number>;
  known: readonly SerialRecord[];
}

/** The invariants of one replica's records: 0 ≤ inside ≤ admitted per zone, sum ≤ unique inside ≤ issued. */
function expectCountsTrustworthy(world: World, records: readonly SerialRecord[]): void {
  const defaultZone = defaultZoneOf(world.venue.zones);
  const histories = historiesOf(records);
  const occupancy = occupancyOf(histories, defaultZone);
  // Admitted, counted independently of the fold: tickets a standing record ever moved into the zone.
  const admitted = new Map<string, Set<number>>();
  for (const history of histories) {
    for (const record of effectiveMovements(history).movements) {
      const to = recordMove(record, defaultZone).to;
      if (to === OUTSIDE) continue;
      const set = admitted.get(to) ?? new Set<number>();
      set.add((record as SerialRecord).serial);
      admitted.set(to, set);
    }
  }
  let sum = 0;
  for (const [zone, inside] of occupancy) {
    expect(zone).not.toBe(OUTSIDE);
    expect(inside).toBeGreaterThanOrEqual(0);
    expect(inside).toBeLessThanOrEqual(admitted.get(zone)?.size ?? 0);
    sum += inside;
  }
  const holdersInside = histories.filter((h) => admissionStateOf(h, defaultZone).inside).length;
  expect(sum).toBeLessThanOrEqual(holdersInside);
  expect(holdersInside).toBeLessThanOrEqual(world.tickets.length);
}

const sorted = (occupancy: Map<string, number>) => [...occupancy].sort(([a], [b]) => (a < b ? -1 : 1));

describe('occupancy over random venues, gates and partitions (issue 18)', () => {
  it('every replica’s counts are trustworthy, before and after healing, and replicas converge', () => {
    fc.assert(
      fc.property(
        worldArb.chain((world) =>
          fc
            .integer({ min: 1, max: 3 })
            .chain((doors) =>
              fc.tuple(fc.constant(world), fc.constant(doors), stepsArb(doors, true), fc.nat()),
            ),
        ),
        ([world, doors, steps, seed]) => {
          const { partial, healed, all } = play(world, doors, steps);
          for (const records of [...partial, ...healed]) expectCountsTrustworthy(world, records);
          const defaultZone = defaultZoneOf(world.venue.zones);
          const reference = sorted(occupancyOf(historiesOf(all), defaultZone));
          for (const records of healed)
            expect(sorted(occupancyOf(historiesOf(records), defaultZone))).toEqual(reference);
          // A cloud that heard everything in another order, some records twice.
          const shuffled = [...all, ...all.filter((_, i) => (i + seed) % 3 === 0)];
          shuffled.sort((a, b) => ((a.originSeq * 7919 + seed) % 101) - ((b.originSeq * 7919 + seed) % 101));
          expect(sorted(occupancyOf(historiesOf(shuffled), defaultZone))).toEqual(reference);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('one connected door: no entry takes a zone over its capacity, and no ticket is admitted twice', () => {
    fc.assert(
      fc.property(
        worldArb.chain((world) => fc.tuple(fc.constant(world), stepsArb(1, false))),
        ([world, steps]) => {
          const { all } = play(world, 1, steps, ({ step, decision, before, after }) => {
            if (decision !== 'accept' || step.direction === 'out') return;
            for (const zone of world.venue.zones) {
              const inside = after.get(zone.id) ?? 0;
              // Over capacity only by someone coming back out of an inner zone, never by an entry.
              if (zone.capacity !== null && inside > (before.get(zone.id) ?? 0)) {
                expect(inside).toBeLessThanOrEqual(zone.capacity);
              }
            }
          });
          const defaultZone = defaultZoneOf(world.venue.zones);
          for (const history of historiesOf(all))
            expect(admissionStateOf(history, defaultZone).doubleEntries).toBe(0);
          expectCountsTrustworthy(world, all);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('without passages back into a zone with a limit, no zone ever exceeds its capacity', () => {
    fc.assert(
      fc.property(
        worldArb
          .map((world) => ({
            ...world,
            // Leaving is only ever towards outside or into a zone without a limit.
            gates: world.gates.filter((g) => {
              const from = world.venue.zones.find((z) => z.id === g.fromZoneId);
              return !from || from.capacity === null;
            }),
          }))
          .filter((world) => world.gates.length > 0)
          .chain((world) => fc.tuple(fc.constant(world), stepsArb(1, false))),
        ([world, steps]) => {
          play(world, 1, steps, ({ after }) => {
            for (const zone of world.venue.zones) {
              if (zone.capacity !== null) expect(after.get(zone.id) ?? 0).toBeLessThanOrEqual(zone.capacity);
            }
          });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
