/**
 * Live occupancy of an event's zones in the cloud (issue 18): per zone, the holders whose last standing
 * move put them there — the SQL form of shared/admission/history `occupancyOf`, over every admission
 * record the cloud holds (gate uploads, online validation, box office, the automatic check-out).
 *
 * One query over the admissions: the standing movements (not undo records, not undone), the latest per
 * ticket in the fold's total order (corrected time, origin by code unit, originSeq), its zone resolved as
 * the fold resolves it (a record without zones: `in` → the venue's first zone, `out` → outside), counted
 * per zone. A venue without zones
 * has one implicit zone (VENUE_ZONE) named after the venue.
 */
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { defaultZoneOf, OUTSIDE, VENUE_ZONE } from '../../shared/admission/zones';
import type { Executor } from '../db/client';
import { parseRows, sqlNumber } from '../db/rows';
import { events, venues } from '../db/schema';
import { fail, type Result } from '../errors';
import { type Actor, tenantScope } from './actor';
import { standingMovementSql } from './admissions';
import type { ServiceContext } from './context';
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

const ZoneRow = z.object({ zone: z.string(), inside: sqlNumber, at_ms: sqlNumber.nullable() });

/**
 * The SQL of an admission record's move (alias `a`), resolved as shared/admission/zones recordMove does:
 * its own zones when it carries them, else OUTSIDE ↔ `defaultZone` by its direction.
 */
export function recordMoveSql(defaultZone: string) {
  return {
    to: sql`coalesce(a.to_zone, case when a.direction = 'in' then ${defaultZone} else ${OUTSIDE} end)`,
    from: sql`coalesce(a.from_zone, case when a.direction = 'in' then ${OUTSIDE} else ${defaultZone} end)`,
  };
}

/**
 * The fold's total order, latest first, for `distinct on (a.serial)`: corrected time, then origin by code
 * unit (`collate "C"`, whatever the database's default collation: JS compares strings that way), then
 * the origin's number.
 */
export const LATEST_FIRST = sql`a.serial, a.at_ms desc, a.origin collate "C" desc, a.origin_seq desc`;

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
  const move = recordMoveSql(defaultZoneOf(rules));
  // One pass over the event's standing movements: each ticket's latest move (where its holder is) counted
  // per zone, and per zone the time of the last move into or out of it.
  const result = await executor.execute(sql`
    with moves as materialized (
      select a.serial, a.at_ms, a.origin, a.origin_seq, ${move.to} as to_zone, ${move.from} as from_zone
        from admissions a
       where a.event_id = ${scope.eventId}::uuid and a.tenant_id = ${scope.tenantId}
         and ${standingMovementSql('a')}),
    last_moves as (
      select distinct on (a.serial) a.to_zone as zone
        from moves a order by ${LATEST_FIRST}),
    counted as (
      select zone, count(*) as inside from last_moves where zone <> ${OUTSIDE} group by zone),
    touched as (
      select zone, max(at_ms) as at_ms from (
        select to_zone as zone, at_ms from moves union all select from_zone, at_ms from moves) both_ends
       group by zone)
    select t.zone, coalesce(c.inside, 0) as inside, t.at_ms
      from touched t left join counted c on c.zone = t.zone
     where t.zone <> ${OUTSIDE}`);
  const rows = parseRows(ZoneRow, result);
  const inside = new Map(rows.map((row) => [row.zone, row.inside]));
  const lastMove = new Map(rows.map((row) => [row.zone, row.at_ms]));
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
      updatedAt: at === undefined || at === null ? null : new Date(at).toISOString(),
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

export const ZoneOccupancySchema = z.object({
  id: z.string().meta({ description: 'The zone id, or "venue" for the one zone of a venue without zones' }),
  name: z.string(),
  inside: z.number().int().meta({ description: 'Holders whose last standing move put them in this zone' }),
  capacity: z.number().int().nullable().meta({ description: 'Most people at once; null = no limit' }),
  restricted: z.boolean(),
  updatedAt: z
    .string()
    .nullable()
    .meta({ description: 'Corrected time of the last move into or out of the zone (ISO 8601); null: none' }),
});

export const EventOccupancySchema = z
  .object({
    eventId: z.uuid(),
    generatedAt: z.string(),
    insideVenue: z.number().int().meta({ description: 'Unique holders inside the venue, in any zone' }),
    zones: z.array(ZoneOccupancySchema),
  })
  .meta({ id: 'EventOccupancy' });
export type EventOccupancyReport = z.infer<typeof EventOccupancySchema>;

/** `GET /events/{id}/occupancy`: the occupancy of an event of the actor's tenant (ops: any); 404 else. */
export async function eventOccupancyReport(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<Result<{ occupancy: EventOccupancyReport }>> {
  const [event] = await ctx.db
    .select({ id: events.id, tenantId: events.tenantId, venueId: events.venueId })
    .from(events)
    .where(and(eq(events.id, eventId), tenantScope(actor, events.tenantId)));
  if (!event) return fail('NOT_FOUND', 'event not found');
  const occupancy = await eventOccupancy(ctx.db, { ...event, eventId: event.id });
  return {
    ok: true,
    occupancy: {
      eventId: event.id,
      generatedAt: new Date(ctx.clock()).toISOString(),
      insideVenue: occupancy.insideVenue,
      zones: occupancy.zones,
    },
  };
}

/** The events /metrics exposes occupancy for: at most this many, most recent first. */
export const LIVE_EVENTS_LIMIT = 50;
/** An event whose last move is younger than this is still "live" after its doors closed. */
export const LIVE_AFTER_MOVE_MS = 6 * 3600_000;

/** One zone's count for the metrics (`zone_occupancy`, `zone_capacity`). */
export interface ZoneOccupancySample {
  eventId: string;
  zoneId: string;
  zone: string;
  inside: number;
  capacity: number | null;
}

const LiveEvent = z.object({ id: z.string(), tenant_id: z.string(), venue_id: z.string() });

/**
 * Occupancy of the live events, for /metrics: published events whose doors are open now (doors, or the
 * start when none, until the end) or that had an admission less than LIVE_AFTER_MOVE_MS ago — among those
 * ending after a day ago and opening before a day from now, so the candidates stay few; at most
 * LIVE_EVENTS_LIMIT, latest start first.
 */
export async function liveOccupancySamples(executor: Executor, now: number): Promise<ZoneOccupancySample[]> {
  const at = new Date(now).toISOString();
  const result = await executor.execute(sql`
    select e.id, e.tenant_id, e.venue_id from events e
     where e.status = 'published'
       and e.ends_at > ${at}::timestamptz - interval '1 day'
       and coalesce(e.doors_open_at, e.starts_at) <= ${at}::timestamptz + interval '1 day'
       and ((coalesce(e.doors_open_at, e.starts_at) <= ${at}::timestamptz and e.ends_at >= ${at}::timestamptz)
            or exists (select 1 from admissions a
                        where a.event_id = e.id and a.at_ms > ${now - LIVE_AFTER_MOVE_MS}))
     order by e.starts_at desc, e.id
     limit ${LIVE_EVENTS_LIMIT}`);
  const samples: ZoneOccupancySample[] = [];
  for (const event of parseRows(LiveEvent, result)) {
    const occupancy = await eventOccupancy(executor, {
      tenantId: event.tenant_id,
      eventId: event.id,
      venueId: event.venue_id,
    });
    for (const zone of occupancy.zones) {
      samples.push({
        eventId: event.id,
        zoneId: zone.id,
        zone: zone.name,
        inside: zone.inside,
        capacity: zone.capacity,
      });
    }
  }
  return samples;
}
