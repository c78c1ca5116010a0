/**
 * A ticket's admission history → its admission state: ONE pure function, used by the gate (over the
 * admissions it made, heard from its peers and pulled from the cloud) and by the cloud's `/validate`
 * (over every admission it holds), so every door and the cloud decide the same state from the same
 * history, whatever order the records arrived in.
 *
 * An admission record is one accepted movement — an entry (`in`) or an exit (`out`) — made by one
 * origin: a gate device (its id), or the cloud itself (`cloud`, online validation and manual check-in).
 * Each origin numbers its records of an event densely from 1, so (event, origin, originSeq) names a
 * record everywhere and a replica can tell which records of an origin it lacks.
 *
 * An admission can be undone (a steward let the wrong person in, or pressed the wrong button): the undo
 * is a record of its own (`direction: 'undo'`, `undoes` naming the record), made by whoever undid it
 * and numbered like every other record of its origin, so it travels to every replica the same way and
 * the history keeps both facts. The fold leaves out undone records and the undo records themselves;
 * the rules for when an undo is allowed are in ./undo.ts.
 *
 * Zones (issue 18, ./zones.ts): an entry or exit may carry the move it made (`fromZone` → `toZone`); the
 * fold follows the holder from zone to zone and is "inside" while the last move put them in a zone. A
 * record without zones is the single-door move: OUTSIDE ↔ the venue's default zone.
 *
 * Order: corrected time (`at`, the cloud's clock estimate of the moment of the decision), then origin,
 * then originSeq. Device clocks drift; the corrected time is the best common timeline there is, and the
 * two tie-breakers make the order total, so the fold never depends on arrival order.
 */
import type { ScanDirection } from './reasons';
import { OUTSIDE, recordMove, VENUE_ZONE, type ZoneId } from './zones';

/** Who made an admission record: a gate device's id, or `cloud` (online validation, manual check-in). */
export type AdmissionOrigin = string;

/** The origin of admissions the cloud decides itself (online `/validate`, manual check-in). */
export const CLOUD_ORIGIN = 'cloud';

/**
 * The gate id of the automatic check-out (issue 18, an event's `exitAllAt`): the exits the cloud records
 * for everyone still inside name this fixed id, which no real gate has (gates get fresh UUIDv7s). A
 * version-4-shaped constant, not the nil UUID, so every UUID check on the wire accepts it.
 */
export const EXIT_ALL_GATE_ID = 'e0a11000-0000-4000-8000-0000000e0a11';
/** The gate name those exits carry. */
export const EXIT_ALL_GATE_NAME = 'Automatic check-out';

/** What a record says: an entry, an exit, or the undoing of an earlier entry or exit. */
export type AdmissionMove = ScanDirection | 'undo';

/** Names one record everywhere: its origin and its number there. */
export interface AdmissionRef {
  origin: AdmissionOrigin;
  originSeq: number;
}

export interface AdmissionRecord {
  origin: AdmissionOrigin;
  /** Dense per (event, origin), from 1. */
  originSeq: number;
  direction: AdmissionMove;
  /** Only on an undo record: the entry or exit it takes back. */
  undoes?: AdmissionRef;
  /** Corrected time of the decision: the deciding device's clock plus its offset to the cloud, unix ms. */
  at: number;
  gateId: string;
  gateName?: string | null;
  /** Decided while the deciding gate could reach neither the cloud nor every one of its peers. */
  unconfirmed?: boolean;
  /**
   * Only on entries and exits at a venue with zones (both or neither): the move the record made, each a
   * zone id or OUTSIDE (./zones.ts). Absent: OUTSIDE ↔ the venue's default zone by `direction`.
   */
  fromZone?: string | null;
  toZone?: string | null;
}

/** An entry or an exit. */
export type MovementRecord = AdmissionRecord & { direction: ScanDirection };

/** Where a ticket's holder is, as its history says. */
export interface AdmissionState {
  /** True when the last movement put the holder in a zone of the venue. */
  inside: boolean;
  /** The zone the last movement put the holder in; OUTSIDE when not inside. */
  zone: ZoneId;
  /** Every zone a standing movement ever put the holder in (the re-entry policy reads it). */
  enteredZones: ZoneId[];
  /** While inside: the FIRST entry of the current stay (what ALREADY_USED names). */
  enteredAt?: { at: number; gateId: string; gateName: string | null; origin: AdmissionOrigin };
  /** The last movement of all, entry or exit (never an undo record, never an undone record). */
  last?: MovementRecord;
  /**
   * Entries into the venue (moves from OUTSIDE) recorded while the holder was already inside: double
   * admissions (a partition let them in).
   */
  doubleEntries: number;
  /** Entries and exits folded (undo records and the records they undid are not counted). */
  records: number;
  /** Records taken back by an undo record of the history. */
  undone: number;
}

/** The total order of admission records (see the module header). */
export function compareAdmissions(a: AdmissionRecord, b: AdmissionRecord): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.origin !== b.origin) return a.origin < b.origin ? -1 : 1;
  return a.originSeq - b.originSeq;
}

/** The key of a record in the maps below. */
export function admissionKey(ref: AdmissionRef): string {
  return `${ref.origin}\u0000${ref.originSeq}`;
}

/**
 * The movements that stand: a history (any order, duplicates allowed) without its undo records and
 * without the entries and exits they undid, in the total order. An undo record that names another undo
 * record, or nothing this history holds, takes nothing back.
 */
export function effectiveMovements(history: readonly AdmissionRecord[]): {
  movements: MovementRecord[];
  undone: number;
} {
  const seen = new Set<string>();
  const undoneKeys = new Set<string>();
  const movements: MovementRecord[] = [];
  for (const record of history) {
    const key = admissionKey(record);
    if (seen.has(key)) continue;
    seen.add(key);
    if (record.direction === 'undo') {
      if (record.undoes) undoneKeys.add(admissionKey(record.undoes));
    } else movements.push(record as MovementRecord);
  }
  const standing = movements.filter((record) => !undoneKeys.has(admissionKey(record)));
  standing.sort(compareAdmissions);
  return { movements: standing, undone: movements.length - standing.length };
}

/**
 * Folds a ticket's history (any order, duplicates allowed, undo records included) into its state. Pure and
 * total. `defaultZone` is where a record without zones enters (./zones.ts defaultZoneOf; VENUE_ZONE for a
 * venue without zones).
 */
export function admissionStateOf(
  history: readonly AdmissionRecord[],
  defaultZone: ZoneId = VENUE_ZONE,
): AdmissionState {
  const { movements, undone } = effectiveMovements(history);
  const state: AdmissionState = {
    inside: false,
    zone: OUTSIDE,
    enteredZones: [],
    doubleEntries: 0,
    records: movements.length,
    undone,
  };
  for (const record of movements) {
    const move = recordMove(record, defaultZone);
    if (move.to === OUTSIDE) {
      state.inside = false;
      delete state.enteredAt;
    } else {
      if (!state.inside) {
        state.enteredAt = {
          at: record.at,
          gateId: record.gateId,
          gateName: record.gateName ?? null,
          origin: record.origin,
        };
      } else if (move.from === OUTSIDE) state.doubleEntries++;
      state.inside = true;
      if (!state.enteredZones.includes(move.to)) state.enteredZones.push(move.to);
    }
    state.zone = move.to;
    state.last = record;
  }
  return state;
}

/**
 * Occupancy from whole histories: per zone, the holders whose last standing move put them there (OUTSIDE
 * never appears). The reference the gates' and the cloud's incremental counts are checked against.
 */
export function occupancyOf(
  histories: Iterable<readonly AdmissionRecord[]>,
  defaultZone: ZoneId = VENUE_ZONE,
): Map<ZoneId, number> {
  const inside = new Map<ZoneId, number>();
  for (const history of histories) {
    const { zone } = admissionStateOf(history, defaultZone);
    if (zone !== OUTSIDE) inside.set(zone, (inside.get(zone) ?? 0) + 1);
  }
  return inside;
}

/**
 * The corrected time a NEW record of a ticket gets when decided at `correctedNow`: never at or before the
 * ticket's latest record the decider knows. The decider saw that record (an exit, say) and decided after
 * it, so the new record must sort after it too; otherwise a clock estimate that moved backwards (a new
 * offset measured over a slow link) would file an entry before the exit it followed and fold the two
 * into a double entry. Same rule at the gate and in the cloud: a Lamport clock over corrected time.
 */
export function admissionTimeAfter(correctedNow: number, latestKnownAt: number | undefined): number {
  return latestKnownAt === undefined ? correctedNow : Math.max(correctedNow, latestKnownAt + 1);
}

/**
 * The state as the admission decision takes it (shared/admission `LastAdmission`): inside → the first
 * entry of the stay (ALREADY_USED names it); outside → the last exit; never admitted → undefined.
 */
export function lastAdmissionOf(
  state: AdmissionState,
): { direction: ScanDirection; at: number; gateId: string; gateName: string | null } | undefined {
  if (state.inside && state.enteredAt) {
    const { at, gateId, gateName } = state.enteredAt;
    return { direction: 'in', at, gateId, gateName };
  }
  if (!state.last) return undefined;
  // Outside: the record that took the holder out (an exit, or an entry-direction scan at a passage whose
  // target is OUTSIDE); `out` either way, since the decision reads `in` as "inside".
  return {
    direction: 'out',
    at: state.last.at,
    gateId: state.last.gateId,
    gateName: state.last.gateName ?? null,
  };
}
