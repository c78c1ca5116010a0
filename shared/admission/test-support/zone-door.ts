/**
 * A door as the zone tests see it: one scan decided by `decideAdmission` from what the deciding side
 * knows (a set of admission records), the way the gate and the cloud build the decision's zone context —
 * the ticket's history folded for where the holder is, the records of every ticket folded for the target
 * zone's count. Used by ../zones.test.ts (the decision table) and ../zones.properties.test.ts (random
 * venues, gates and partitions).
 */
import { type AdmissionRecord, admissionStateOf, lastAdmissionOf, occupancyOf } from '../history';
import { type AdmissionDecision, decideAdmission } from '../index';
import { defaultZoneOf, moveAt, type PassageConfig, passageOf, type ZoneRule } from '../zones';

export const EVENT_ID = '0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e5f';
/** Doors open; the event ends six hours later. */
export const DOORS = Date.UTC(2026, 5, 1, 18);
export const EVENT_END = DOORS + 6 * 3_600_000;

/** A venue as the decision sees it: its zones in the organiser's order (none = one implicit zone). */
export interface DoorVenue {
  zones: readonly ZoneRule[];
}

export interface DoorGate extends PassageConfig {
  id: string;
  name: string;
}

export interface DoorTicket {
  serial: number;
  typeNo: number;
  /** The type's zones (null = every zone not restricted). */
  zoneIds: readonly string[] | null;
  /** The ticket's own validity window (claims), when it has one. */
  validFrom?: number;
}

/** A ticket's records among `known` (records carry the serial in these tests). */
export type SerialRecord = AdmissionRecord & { serial: number };

export function historyOf(known: readonly SerialRecord[], serial: number): SerialRecord[] {
  return known.filter((record) => record.serial === serial);
}

/** Every ticket's history among `known`, for occupancyOf. */
export function historiesOf(known: readonly SerialRecord[]): SerialRecord[][] {
  const bySerial = new Map<number, SerialRecord[]>();
  for (const record of known) {
    const list = bySerial.get(record.serial) ?? [];
    list.push(record);
    bySerial.set(record.serial, list);
  }
  return [...bySerial.values()];
}

/** The decision of one scan at `gate` in `direction`, from what the decider knows (`known`), at `now`. */
export function decideAtDoor(
  venue: DoorVenue,
  gate: DoorGate,
  ticket: DoorTicket,
  direction: 'in' | 'out',
  known: readonly SerialRecord[],
  now: number,
): AdmissionDecision {
  const defaultZone = defaultZoneOf(venue.zones);
  const state = admissionStateOf(historyOf(known, ticket.serial), defaultZone);
  const move = moveAt(passageOf(gate, venue.zones), direction);
  const occupancy = occupancyOf(historiesOf(known), defaultZone);
  return decideAdmission({
    token: {
      ok: true,
      claims: {
        eventId: EVENT_ID,
        ticketSerial: ticket.serial,
        ticketTypeNo: ticket.typeNo,
        generation: 0,
        ...(ticket.validFrom === undefined ? {} : { validFrom: ticket.validFrom }),
      },
      authenticatedBy: 'signature',
    },
    event: { id: EVENT_ID, status: 'published', doorsOpenAt: DOORS, startsAt: DOORS, endsAt: EVENT_END },
    ticketType: {
      typeNo: ticket.typeNo,
      name: `Type ${ticket.typeNo}`,
      gateIds: null,
      zoneIds: ticket.zoneIds,
    },
    ticket: { serial: ticket.serial, typeNo: ticket.typeNo, generation: 0, status: 'valid' },
    lastAdmission: lastAdmissionOf(state),
    gate: { id: gate.id, name: gate.name },
    direction,
    now,
    zones: {
      move,
      holderZone: state.zone,
      enteredZones: state.enteredZones,
      target: venue.zones.find((zone) => zone.id === move.to),
      targetInside: occupancy.get(move.to) ?? 0,
    },
  });
}

/**
 * The record an accepted decision makes, as the gate writes it: the move as `fromZone`/`toZone` only at
 * a venue with zones.
 */
export function recordOf(
  venue: DoorVenue,
  decision: AdmissionDecision,
  scan: {
    origin: string;
    originSeq: number;
    serial: number;
    direction: 'in' | 'out';
    at: number;
    gateId: string;
  },
): SerialRecord {
  const record: SerialRecord = { ...scan };
  if (venue.zones.length > 0 && decision.move) {
    record.fromZone = decision.move.from;
    record.toZone = decision.move.to;
  }
  return record;
}
