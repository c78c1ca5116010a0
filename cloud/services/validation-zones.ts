/**
 * The zone rules of an online decision (issue 18): for `/validate` and the box office's check-in, the
 * ZoneContext shared/admission decides with — the gate's passage and the move the scan makes, where the
 * holder is (their folded history), the target zone's rule and how many are in it now.
 *
 * ZONE_FULL must hold when scans race for the last place: two entries into one zone (different tickets,
 * so different ticket locks) would otherwise both count the same occupancy and both be accepted. An
 * entry into a zone with a capacity therefore locks the zone's row before counting and keeps it until its
 * admission record is committed; under READ COMMITTED the next entry's count, taken after it gets the
 * lock, sees that record.
 * Lock order: ticket → zone → event row (the admission's numbering, always last), as a zone change takes
 * zone → event row: no cycle.
 */
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ZoneContext } from '../../shared/admission';
import { type AdmissionState, admissionStateOf } from '../../shared/admission/history';
import {
  defaultZoneOf,
  moveAt,
  OUTSIDE,
  type PassageConfig,
  passageOf,
  type ZoneRule,
} from '../../shared/admission/zones';
import type { Executor } from '../db/client';
import { parseRows, sqlNumber } from '../db/rows';
import { type events, type ScanDirection, venueZones } from '../db/schema';
import { standingMovementSql } from './admissions';
import { LATEST_FIRST } from './occupancy';

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
  tx: Executor,
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
    // An entry may be the one that fills the zone: take turns with every other entry into it. A zone
    // without a capacity is never full, so its entries need not wait for each other.
    if (place.direction === 'in' && target.capacity !== null) {
      await tx
        .select({ id: venueZones.id })
        .from(venueZones)
        .where(eq(venueZones.id, target.id))
        .for('update');
    }
    targetInside = await insideNow(tx, event, target.id, defaultZoneOf(rules));
  }
  return { move, holderZone: state.zone, enteredZones: state.enteredZones, target, targetInside };
}

/**
 * Whether deciding this scan takes a zone's lock (zoneContextOf): an entry into a zone with a capacity.
 * Such a scan is decided inside a transaction that holds the lock until its record commits; any other
 * scan may be decided from a plain read (./validation.ts decideFromRead).
 */
export function takesZoneLock(rules: readonly ZoneRule[], place: ScanPlace): boolean {
  if (rules.length === 0 || place.direction !== 'in') return false;
  const move = moveAt(passageOf(place.gate, rules), place.direction);
  return rules.some((zone) => zone.id === move.to && zone.capacity !== null);
}

/** The holder's state as the venue's rules fold it: records without zones enter its first zone. */
export function zonedStateOf(
  history: Parameters<typeof admissionStateOf>[0],
  rules: readonly ZoneRule[],
): AdmissionState {
  return admissionStateOf(history, defaultZoneOf(rules));
}

const Inside = z.object({ inside: sqlNumber });

/**
 * Holders in one zone now: the count of ./occupancy.ts eventOccupancy for that zone (the latest standing
 * move per ticket, resolved as shared/admission/zones recordMove resolves it), read for this zone only —
 * and only over tickets that ever moved into it, so a small zone (a lounge) is counted from its few
 * tickets' records rather than the whole event's. It runs while the zone's row is locked. Measured
 * (2 cores, 50,000 records in the event): an entry into a lounge ~33 ms median, into the default hall
 * that all 50,000 entered ~320 ms (every ticket's latest move is read) — entries into one big zone take
 * turns at that pace online; gates decide offline from their own counts.
 */
async function insideNow(tx: Executor, event: EventRow, zoneId: string, defaultZone: string) {
  const toZone = (alias: string) => {
    const a = sql.raw(alias);
    return sql`coalesce(${a}.to_zone, case when ${a}.direction = 'in' then ${defaultZone} else ${OUTSIDE} end)`;
  };
  const result = await tx.execute(sql`
    select count(*)::int as inside from (
      select distinct on (a.serial) ${toZone('a')} as zone
        from admissions a
       where a.event_id = ${event.id}::uuid and a.tenant_id = ${event.tenantId}
         and a.serial in (select c.serial from admissions c
                           where c.event_id = ${event.id}::uuid and c.direction <> 'undo' and ${toZone('c')} = ${zoneId})
         and ${standingMovementSql('a')}
       order by ${LATEST_FIRST}) last_moves
     where zone = ${zoneId}`);
  return parseRows(Inside, result)[0]?.inside ?? 0;
}
