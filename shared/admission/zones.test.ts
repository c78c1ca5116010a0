/**
 * Zones and passages (issue 18): the small functions of ./zones.ts, and the decision table of a hall with
 * a VIP lounge inside it — each scan decided from the records the door knows (test-support/zone-door.ts),
 * the way a gate decides.
 */
import { describe, expect, it } from 'vitest';
import { occupancyOf } from './history';
import {
  DOORS,
  type DoorGate,
  type DoorTicket,
  type DoorVenue,
  decideAtDoor,
  EVENT_END,
  historiesOf,
  recordOf,
  type SerialRecord,
} from './test-support/zone-door';
import { moveAt, OUTSIDE, passageOf, recordMove, VENUE_ZONE, type ZoneRule, zoneAllowed } from './zones';

const HALL: ZoneRule = { id: 'z-hall', name: 'Hall', capacity: 2, restricted: false, reentry: true };
const LOUNGE: ZoneRule = {
  id: 'z-lounge',
  name: 'VIP Lounge',
  capacity: 40,
  restricted: true,
  reentry: true,
};
const VENUE: DoorVenue = { zones: [HALL, LOUNGE] };
const MAIN: DoorGate = { id: 'g-main', name: 'Main Door' };
const LOUNGE_DOOR: DoorGate = {
  id: 'g-lounge',
  name: 'Lounge Door',
  fromZoneId: HALL.id,
  toZoneId: LOUNGE.id,
};
const VIP: DoorTicket = { serial: 1, typeNo: 2, zoneIds: [HALL.id, LOUNGE.id] };
const GENERAL: DoorTicket = { serial: 2, typeNo: 1, zoneIds: null };
const NOW = DOORS + 3_600_000;

describe('passageOf', () => {
  it('defaults to outside → the first zone, or the implicit venue zone when there are none', () => {
    expect(passageOf({}, [])).toEqual({ from: OUTSIDE, to: VENUE_ZONE });
    expect(passageOf({ fromZoneId: null, toZoneId: null }, [HALL, LOUNGE])).toEqual({
      from: OUTSIDE,
      to: HALL.id,
    });
  });

  it('takes the configured sides', () => {
    expect(passageOf({ fromZoneId: HALL.id, toZoneId: LOUNGE.id }, [HALL, LOUNGE])).toEqual({
      from: HALL.id,
      to: LOUNGE.id,
    });
    expect(passageOf({ toZoneId: LOUNGE.id }, [HALL, LOUNGE])).toEqual({ from: OUTSIDE, to: LOUNGE.id });
  });
});

describe('moveAt', () => {
  it('moves along the passage for in, back for out', () => {
    const passage = { from: HALL.id, to: LOUNGE.id };
    expect(moveAt(passage, 'in')).toEqual({ from: HALL.id, to: LOUNGE.id });
    expect(moveAt(passage, 'out')).toEqual({ from: LOUNGE.id, to: HALL.id });
  });
});

describe('recordMove', () => {
  it('a record with zones made its own move', () => {
    expect(recordMove({ direction: 'out', fromZone: LOUNGE.id, toZone: HALL.id }, HALL.id)).toEqual({
      from: LOUNGE.id,
      to: HALL.id,
    });
  });

  it('a record without zones (before zones, or a venue without) is outside ↔ the default zone', () => {
    expect(recordMove({ direction: 'in' }, HALL.id)).toEqual({ from: OUTSIDE, to: HALL.id });
    expect(recordMove({ direction: 'out', fromZone: null, toZone: null }, VENUE_ZONE)).toEqual({
      from: VENUE_ZONE,
      to: OUTSIDE,
    });
    // Both or neither: one side alone is not a move.
    expect(recordMove({ direction: 'in', fromZone: HALL.id }, VENUE_ZONE)).toEqual({
      from: OUTSIDE,
      to: VENUE_ZONE,
    });
  });
});

describe('zoneAllowed', () => {
  it('a type without a list enters every zone that is not restricted', () => {
    expect(zoneAllowed(null, HALL)).toBe(true);
    expect(zoneAllowed(undefined, LOUNGE)).toBe(false);
  });

  it('a type with a list enters exactly those, restricted or not', () => {
    expect(zoneAllowed([LOUNGE.id], LOUNGE)).toBe(true);
    expect(zoneAllowed([LOUNGE.id], HALL)).toBe(false);
    expect(zoneAllowed([], HALL)).toBe(false);
  });

  it('a zone the rules do not know (the implicit venue zone, outside) is open', () => {
    expect(zoneAllowed([], undefined)).toBe(true);
  });
});

/** A door that remembers what it decided: scans in order, each recorded when accepted. */
function door(venue: DoorVenue = VENUE) {
  const known: SerialRecord[] = [];
  let seq = 0;
  return {
    known,
    scan(gate: DoorGate, ticket: DoorTicket, direction: 'in' | 'out', now = NOW) {
      const decision = decideAtDoor(venue, gate, ticket, direction, known, now);
      if (decision.decision === 'accept') {
        seq++;
        const scan = {
          origin: 'dev-1',
          originSeq: seq,
          serial: ticket.serial,
          direction,
          at: now + seq,
          gateId: gate.id,
        };
        known.push(recordOf(venue, decision, scan));
      }
      return decision;
    },
    occupancy: () => Object.fromEntries(occupancyOf(historiesOf(known), HALL.id)),
  };
}

describe('the decision at a hall with a VIP lounge inside it', () => {
  it('hall → lounge leaves the hall', () => {
    const d = door();
    expect(d.scan(MAIN, VIP, 'in')).toMatchObject({ reason: 'OK', move: { from: OUTSIDE, to: HALL.id } });
    expect(d.occupancy()).toEqual({ [HALL.id]: 1 });
    const lounge = d.scan(LOUNGE_DOOR, VIP, 'in');
    expect(lounge).toMatchObject({ reason: 'OK', move: { from: HALL.id, to: LOUNGE.id } });
    expect(lounge.zone).toEqual({ id: LOUNGE.id, name: 'VIP Lounge', capacity: 40, inside: 0 });
    expect(d.occupancy()).toEqual({ [LOUNGE.id]: 1 });
    expect(d.known.at(-1)).toMatchObject({ fromZone: HALL.id, toZone: LOUNGE.id });
  });

  it('a copy of the code at the main door while its holder is in the lounge is already used elsewhere', () => {
    const d = door();
    d.scan(MAIN, VIP, 'in');
    d.scan(LOUNGE_DOOR, VIP, 'in');
    const copy = d.scan(MAIN, VIP, 'in');
    expect(copy).toMatchObject({ decision: 'reject', reason: 'ALREADY_USED', detail: 'inside-elsewhere' });
    expect(copy.alreadyUsed).toMatchObject({ gateId: MAIN.id });
    // The same holder back at the lounge door is simply already there.
    expect(d.scan(LOUNGE_DOOR, VIP, 'in')).toMatchObject({ reason: 'ALREADY_USED' });
    expect(d.scan(LOUNGE_DOOR, VIP, 'in').detail).toBeUndefined();
  });

  it('an exit from the lounge into a full hall is accepted (nobody is trapped); an entry into it is not', () => {
    const d = door();
    const second: DoorTicket = { serial: 3, typeNo: 1, zoneIds: null };
    const third: DoorTicket = { serial: 4, typeNo: 1, zoneIds: null };
    d.scan(MAIN, VIP, 'in');
    d.scan(LOUNGE_DOOR, VIP, 'in');
    d.scan(MAIN, GENERAL, 'in');
    d.scan(MAIN, second, 'in');
    expect(d.occupancy()).toEqual({ [HALL.id]: 2, [LOUNGE.id]: 1 });
    expect(d.scan(MAIN, third, 'in')).toMatchObject({
      reason: 'ZONE_FULL',
      zone: { id: HALL.id, capacity: 2, inside: 2 },
    });
    expect(d.scan(LOUNGE_DOOR, VIP, 'out')).toMatchObject({
      decision: 'accept',
      move: { from: LOUNGE.id, to: HALL.id },
    });
    expect(d.occupancy()).toEqual({ [HALL.id]: 3 });
  });

  it('an exit through the lounge door of someone in the hall is not inside the lounge', () => {
    const d = door();
    d.scan(MAIN, VIP, 'in');
    expect(d.scan(LOUNGE_DOOR, VIP, 'out')).toMatchObject({ reason: 'NOT_INSIDE', detail: 'not-in-zone' });
    expect(d.occupancy()).toEqual({ [HALL.id]: 1 });
  });

  it('a lounge without re-entry refuses a holder who has been in it once', () => {
    const d = door({ zones: [HALL, { ...LOUNGE, reentry: false }] });
    d.scan(MAIN, VIP, 'in');
    d.scan(LOUNGE_DOOR, VIP, 'in');
    d.scan(LOUNGE_DOOR, VIP, 'out');
    expect(d.scan(LOUNGE_DOOR, VIP, 'in')).toMatchObject({
      reason: 'ALREADY_USED',
      detail: 'no-reentry',
      zone: { id: LOUNGE.id, name: 'VIP Lounge' },
    });
    // The hall re-admits: its policy is its own.
    d.scan(MAIN, VIP, 'out');
    expect(d.scan(MAIN, VIP, 'in')).toMatchObject({ reason: 'OK' });
  });

  it('a general ticket may not enter the restricted lounge', () => {
    const d = door();
    d.scan(MAIN, GENERAL, 'in');
    expect(d.scan(LOUNGE_DOOR, GENERAL, 'in')).toMatchObject({
      reason: 'ZONE_NOT_ALLOWED',
      zone: { id: LOUNGE.id, name: 'VIP Lounge', capacity: 40, inside: 0 },
    });
  });

  it('the windows apply to a holder entering the venue from outside through an inner passage', () => {
    const late: DoorTicket = { ...VIP, validFrom: NOW + 60_000 };
    // Outside: the lounge door is their way into the venue, so the ticket's window and the doors count.
    expect(door().scan(LOUNGE_DOOR, late, 'in')).toMatchObject({
      reason: 'NOT_YET_VALID',
      detail: 'ticket-window',
    });
    expect(door().scan(LOUNGE_DOOR, VIP, 'in', DOORS - 1)).toMatchObject({
      reason: 'NOT_YET_VALID',
      detail: 'doors-closed',
    });
    expect(door().scan(LOUNGE_DOOR, VIP, 'in', EVENT_END)).toMatchObject({
      reason: 'EXPIRED',
      detail: 'event-ended',
    });
    // Already inside the hall: moving on to the lounge is no entry into the venue.
    const d = door();
    d.scan(MAIN, VIP, 'in', DOORS + 1);
    expect(d.scan(LOUNGE_DOOR, late, 'in')).toMatchObject({ reason: 'OK' });
    const e = door();
    e.scan(MAIN, VIP, 'in', DOORS + 1);
    expect(e.scan(LOUNGE_DOOR, VIP, 'in', EVENT_END + 1)).toMatchObject({ reason: 'OK' });
    // From outside through the lounge door within the windows: straight into the lounge.
    const f = door();
    expect(f.scan(LOUNGE_DOOR, VIP, 'in')).toMatchObject({
      reason: 'OK',
      move: { from: HALL.id, to: LOUNGE.id },
    });
    expect(f.occupancy()).toEqual({ [LOUNGE.id]: 1 });
  });

  it('a venue without zones: the implicit zone, records without zones', () => {
    const d = door({ zones: [] });
    expect(d.scan(MAIN, GENERAL, 'in')).toMatchObject({
      reason: 'OK',
      move: { from: OUTSIDE, to: VENUE_ZONE },
    });
    expect(d.known[0]).not.toHaveProperty('fromZone');
    expect(Object.fromEntries(occupancyOf(historiesOf(d.known)))).toEqual({ [VENUE_ZONE]: 1 });
    expect(d.scan(MAIN, GENERAL, 'in')).toMatchObject({ reason: 'ALREADY_USED' });
  });
});
