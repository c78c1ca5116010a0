/**
 * What the gate tells about zones (issue 18), for `GET /api/status` and the metrics: this gate's passage
 * for an event, the occupancy of the venue's zones as this gate counts them (store/zone-occupancy.ts, in
 * memory: O(zones)), and how old that count is.
 *
 * Staleness: the count holds every move this gate has heard of. Moves made elsewhere reach it through
 * its manifest pulls (every door's records the cloud has) and from its peers on the LAN, so it is
 * complete up to the older of the event's last successful pull and the last word from its least recently
 * heard peer — `occupancyAsOf`, device clock; null before the first pull.
 */
import { OUTSIDE, passageOf, VENUE_ZONE, type ZoneId } from '../../shared/admission/index';
import type { GateStore } from '../store/gate-store';

/** A side of a passage or a zone: its id (`outside`, `venue` or a zone's id) and its name. */
export interface ZoneRef {
  id: string;
  name: string;
}

export interface ZoneStatus extends ZoneRef {
  inside: number;
  /** null = no limit. */
  capacity: number | null;
}

/** The zone part of one event's status. */
export interface EventZoneStatus {
  /** This gate's passage: `in` moves from → to, `out` back. */
  passage: { from: ZoneRef; to: ZoneRef };
  zones: ZoneStatus[];
  /** Device clock, unix ms: the moment up to which this gate has heard every other door; null before a pull. */
  occupancyAsOf: number | null;
}

/** What the name of the implicit zone of a venue without zones falls back to. */
const VENUE_NAME = 'Venue';

/**
 * The occupancy of an event's zones as this gate counts them: every zone of the venue in order, or the
 * one implicit zone (`venue`, named after the event) of a venue without zones. Undefined when the gate
 * holds no copy of the event.
 */
export function zoneOccupancyOf(store: GateStore, eventId: string): ZoneStatus[] | undefined {
  const context = store.eventContext(eventId);
  if (!context) return undefined;
  const counts = store.occupancy.counts(eventId);
  if (context.zones.length === 0) {
    return [
      {
        id: VENUE_ZONE,
        name: context.name || VENUE_NAME,
        inside: counts.get(VENUE_ZONE) ?? 0,
        capacity: null,
      },
    ];
  }
  return context.zones.map((zone) => ({
    id: zone.id,
    name: zone.name,
    inside: counts.get(zone.id) ?? 0,
    capacity: zone.capacity,
  }));
}

/**
 * The zone status of one event at this gate (`gateId`); `lastSyncAt` is the event's last successful pull
 * and `lastWordAt` the last word from its least recently heard peer (undefined: no peer heard).
 */
export function eventZoneStatus(
  store: GateStore,
  eventId: string,
  gateId: string | null,
  times: { lastSyncAt: number | null; lastWordAt: number | undefined },
): EventZoneStatus | undefined {
  const context = store.eventContext(eventId);
  const zones = zoneOccupancyOf(store, eventId);
  if (!context || !zones) return undefined;
  const passage = passageOf(context.passages.get(gateId?.toLowerCase() ?? '') ?? {}, context.zones);
  const nameOf = (id: ZoneId): string => {
    if (id === OUTSIDE) return 'Outside';
    if (id === VENUE_ZONE) return context.name || VENUE_NAME;
    return context.zoneRules.get(id)?.name ?? id;
  };
  const { lastSyncAt, lastWordAt } = times;
  return {
    passage: {
      from: { id: passage.from, name: nameOf(passage.from) },
      to: { id: passage.to, name: nameOf(passage.to) },
    },
    zones,
    occupancyAsOf: lastSyncAt === null ? null : Math.min(lastSyncAt, lastWordAt ?? lastSyncAt),
  };
}
