/**
 * Live occupancy of an event's zones in the cloud (issue 18): per zone, the holders whose last standing
 * move put them there — the SQL form of shared/admission/history `occupancyOf`, over every admission
 * record the cloud holds (gate uploads, online validation, box office, the automatic check-out).
 *
 * One query: the standing movements (not undo records, not undone), the latest per ticket in the fold's
 * total order (corrected time, origin, originSeq), its zone resolved as the fold resolves it (a record
 * without zones: `in` → the venue's first zone, `out` → outside), counted per zone. A venue without zones
 * has one implicit zone (VENUE_ZONE) named after the venue.
 */
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { defaultZoneOf, OUTSIDE, VENUE_ZONE } from '../../shared/admission/zones';
import type { Executor } from '../db/client';
import { parseRows, sqlNumber } from '../db/rows';
import { venues } from '../db/schema';
import { standingMovementSql } from './admissions';
import { venueZoneRules } from './event-peers';

export interface ZoneOccupancy {
  /** The zone's id, or VENUE_ZONE ("venue") for the one implicit zone of a venue without zones. */
  id: string;
  name: string;
  /** Holders whose last move put them here. */
  inside: number;
  /** Most people at once; null = no limit. */
  capacity: number | null;
  restricted: boolean;
  /** The corrected time of the last move into or out of the zone (ISO); null when none. */
  updatedAt: string | null;
}

export interface EventOccupancy {
  zones: ZoneOccupancy[];
  /** Unique holders inside the venue (the sum over zones: each holder is in exactly one). */
  insideVenue: number;
  /**
   * Holders whose last move put them in a zone the venue no longer has (a zone renamed is still the same
   * zone; this counts only records naming a zone id that is gone). Counted in insideVenue, in no zone.
   */
  unknownZone: number;
}

const Counted = z.object({ zone: z.string(), inside: sqlNumber });
const Touched = z.object({ zone: z.string(), at_ms: sqlNumber });

/** The occupancy of an event's venue's zones from the cloud's admission history. */
export async function eventOccupancy(
  executor: Executor,
  scope: { tenantId: string; eventId: string; venueId: string },
): Promise<EventOccupancy> {
  const [venue] = await executor
    .select({ name: venues.name })
    .from(venues)
    .where(and(eq(venues.id, scope.venueId), eq(venues.tenantId, scope.tenantId)));
  const rules = await venueZoneRules(executor, scope.tenantId, scope.venueId);
  const defaultZone = defaultZoneOf(rules);
  // The zone a record's move ends in / starts in, resolved as shared/admission/zones recordMove does.
  const toZone = sql`coalesce(a.to_zone, case when a.direction = 'in' then ${defaultZone} else ${OUTSIDE} end)`;
  const fromZone = sql`coalesce(a.from_zone, case when a.direction = 'in' then ${OUTSIDE} else ${defaultZone} end)`;
  const latest = await executor.execute(sql`
    select zone, count(*) as inside from (
      select distinct on (a.serial) ${toZone} as zone
        from admissions a
       where a.event_id = ${scope.eventId}::uuid and a.tenant_id = ${scope.tenantId}
         and ${standingMovementSql('a')}
       order by a.serial, a.at_ms desc, a.origin desc, a.origin_seq desc) last_moves
     where zone <> ${OUTSIDE}
     group by zone`);
  const touched = await executor.execute(sql`
    select zone, max(at_ms) as at_ms from (
      select ${toZone} as zone, a.at_ms from admissions a
       where a.event_id = ${scope.eventId}::uuid and a.tenant_id = ${scope.tenantId} and ${standingMovementSql('a')}
      union all
      select ${fromZone} as zone, a.at_ms from admissions a
       where a.event_id = ${scope.eventId}::uuid and a.tenant_id = ${scope.tenantId} and ${standingMovementSql('a')}
    ) moves group by zone`);
  const inside = new Map(parseRows(Counted, latest).map((row) => [row.zone, row.inside]));
  const lastMove = new Map(parseRows(Touched, touched).map((row) => [row.zone, row.at_ms]));
  const zoneList =
    rules.length > 0
      ? rules
      : [{ id: VENUE_ZONE, name: venue?.name ?? 'Venue', capacity: null, restricted: false, reentry: true }];
  const zones = zoneList.map((zone) => {
    const at = lastMove.get(zone.id);
    return {
      id: zone.id,
      name: zone.name,
      inside: inside.get(zone.id) ?? 0,
      capacity: zone.capacity,
      restricted: zone.restricted,
      updatedAt: at === undefined ? null : new Date(at).toISOString(),
    };
  });
  const insideVenue = [...inside.values()].reduce((sum, n) => sum + n, 0);
  const known = zones.reduce((sum, zone) => sum + zone.inside, 0);
  return { zones, insideVenue, unknownZone: insideVenue - known };
}

/** Holders in one zone now (the count `/validate` and the box office refuse ZONE_FULL by). */
export async function zoneInside(
  executor: Executor,
  scope: { tenantId: string; eventId: string; venueId: string },
  zoneId: string,
): Promise<number> {
  const occupancy = await eventOccupancy(executor, scope);
  return occupancy.zones.find((zone) => zone.id === zoneId)?.inside ?? 0;
}
