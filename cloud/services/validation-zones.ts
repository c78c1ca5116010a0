/**
 * The zone rules of an online decision (issue 18): for `/validate` and the box office's check-in, the
 * ZoneContext shared/admission decides with — the gate's passage and the move the scan makes, where the
 * holder is (their folded history), the target zone's rule and how many are in it now.
 *
 * ZONE_FULL must hold when scans race for the last place: two entries into one zone (different tickets,
 * so different ticket locks) would otherwise both count the same occupancy and both be accepted. An
 * entry therefore locks the target zone's row before counting and keeps it until its admission record is
 * committed; under READ COMMITTED the next entry's count, taken after it gets the lock, sees that record.
 * Lock order: ticket → zone → event row (the admission's numbering, always last), as a zone change takes
 * zone → event row: no cycle.
 */
import { eq } from 'drizzle-orm';
import type { ZoneContext } from '../../shared/admission';
import { type AdmissionState, admissionStateOf } from '../../shared/admission/history';
import {
  defaultZoneOf,
  moveAt,
  type PassageConfig,
  passageOf,
  type ZoneRule,
} from '../../shared/admission/zones';
import type { Transaction } from '../db/client';
import { type events, type ScanDirection, venueZones } from '../db/schema';
import { zoneInside } from './occupancy';

type EventRow = typeof events.$inferSelect;

/** Where an online scan happens: the gate (its passage) and the direction. */
export interface ScanPlace {
  gate: PassageConfig;
  direction: ScanDirection;
}

/**
 * The zone context of a scan at a venue with zones (and the holder's state folded with the venue's
 * default zone); undefined at a venue without zones, which decides exactly as before.
 */
export async function zoneContextOf(
  tx: Transaction,
  event: EventRow,
  rules: readonly ZoneRule[],
  state: AdmissionState,
  place: ScanPlace,
): Promise<ZoneContext | undefined> {
  if (rules.length === 0) return undefined;
  const move = moveAt(passageOf(place.gate, rules), place.direction);
  const target = rules.find((zone) => zone.id === move.to);
  let targetInside = 0;
  if (target) {
    // An entry may be the one that fills the zone: take turns with every other entry into it.
    if (place.direction === 'in') {
      await tx
        .select({ id: venueZones.id })
        .from(venueZones)
        .where(eq(venueZones.id, target.id))
        .for('update');
    }
    const scope = { tenantId: event.tenantId, eventId: event.id, venueId: event.venueId };
    targetInside = await zoneInside(tx, scope, target.id);
  }
  return { move, holderZone: state.zone, enteredZones: state.enteredZones, target, targetInside };
}

/** The holder's state as the venue's rules fold it: records without zones enter its first zone. */
export function zonedStateOf(
  history: Parameters<typeof admissionStateOf>[0],
  rules: readonly ZoneRule[],
): AdmissionState {
  return admissionStateOf(history, defaultZoneOf(rules));
}
