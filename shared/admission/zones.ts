/**
 * Zones and passages (issue 18): the one model of where a ticket's holder is, shared by the gate (offline,
 * from its manifest and the admissions it knows) and the cloud (`/validate`, the box office, occupancy).
 *
 * A venue has zones (a main hall, a VIP lounge inside it, a terrace), in the organiser's order; every venue
 * also has the implicit OUTSIDE. A gate is a passage from one zone to another (`from` → `to`, each a zone
 * id or OUTSIDE); the default passage is OUTSIDE → the venue's first zone, so a single-door venue with no
 * zones at all works as before: its one implicit zone is VENUE_ZONE.
 *
 * A scan in a gate's entry direction (`in`) moves the holder along the passage (from → to); a scan in its
 * exit direction (`out`) moves them back (to → from). Every entry or exit record carries the move it made
 * (`fromZone`, `toZone`) as decided at the time, so a passage reconfigured later never rewrites history.
 * Records made before zones existed, or at a venue with no zones, carry none: an entry is then OUTSIDE →
 * the venue's default zone and an exit the reverse (`recordMove`).
 *
 * Occupancy of a zone = the holders whose last standing move put them there (./history.ts folds it).
 * No imports: the scanner UI includes the reason list beside this file as it is.
 */

/** The zone id of "not inside the venue": before the first entry and after an exit. */
export const OUTSIDE = 'outside';

/**
 * The implicit zone of a venue that has no zones: where a single-door entry puts the holder. Never a
 * stored zone's id (those are UUIDs).
 */
export const VENUE_ZONE = 'venue';

/** A zone id (a venue zone's UUID, VENUE_ZONE) or OUTSIDE. */
export type ZoneId = string;

/** What a gate's decision needs of a zone. */
export interface ZoneRule {
  id: string;
  name: string;
  /** The most holders the zone may hold at once; null = no limit. */
  capacity: number | null;
  /** Restricted zones are entered only by ticket types that name them (a VIP lounge, backstage). */
  restricted: boolean;
  /** False: a holder who has been in the zone once may not enter it again (re-entry policy). */
  reentry: boolean;
}

/** A gate's passage as configured: null = the default (OUTSIDE for `from`, the first zone for `to`). */
export interface PassageConfig {
  fromZoneId?: string | null;
  toZoneId?: string | null;
}

/** A move: from one zone (or OUTSIDE) to another. */
export interface ZoneMove {
  from: ZoneId;
  to: ZoneId;
}

/** The zone a default entry leads into: the venue's first zone, or VENUE_ZONE when it has none. */
export function defaultZoneOf(zones: readonly Pick<ZoneRule, 'id'>[]): ZoneId {
  return zones[0]?.id ?? VENUE_ZONE;
}

/** A gate's passage with its defaults filled in. */
export function passageOf(gate: PassageConfig, zones: readonly Pick<ZoneRule, 'id'>[]): ZoneMove {
  return { from: gate.fromZoneId ?? OUTSIDE, to: gate.toZoneId ?? defaultZoneOf(zones) };
}

/** The move a scan makes at a passage: along it for `in`, back for `out`. */
export function moveAt(passage: ZoneMove, direction: 'in' | 'out'): ZoneMove {
  return direction === 'in' ? passage : { from: passage.to, to: passage.from };
}

/**
 * The move an entry or exit record made: its own `fromZone`/`toZone` when it carries them, else (a record
 * from before zones, or at a venue without zones) OUTSIDE ↔ the venue's default zone by its direction.
 */
export function recordMove(
  record: { direction: 'in' | 'out'; fromZone?: string | null; toZone?: string | null },
  defaultZone: ZoneId,
): ZoneMove {
  if (record.fromZone && record.toZone) return { from: record.fromZone, to: record.toZone };
  return record.direction === 'in' ? { from: OUTSIDE, to: defaultZone } : { from: defaultZone, to: OUTSIDE };
}

/**
 * Whether a ticket type may enter a zone: a type that lists zones enters exactly those; a type that lists
 * none (null) enters every zone that is not restricted. A zone the rules do not know (VENUE_ZONE) is open.
 */
export function zoneAllowed(
  zoneIds: readonly string[] | null | undefined,
  zone: ZoneRule | undefined,
): boolean {
  if (!zone) return true;
  if (zoneIds === null || zoneIds === undefined) return !zone.restricted;
  return zoneIds.includes(zone.id);
}

/** Occupancy as a fraction of capacity at which people are warned (operations page, alert rule). */
export const OCCUPANCY_WARNING_RATIO = 0.9;
