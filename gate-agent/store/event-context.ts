/**
 * The events this gate holds a manifest copy of, as the decision needs them: the event's status and
 * times, its ticket types and the gates and zones each may use, the venue's zones and each gate's passage
 * (issue 18), which copy is live and how far it has synced.
 * Written from manifest pages (`events`, `ticket_types`); read once per event into memory and served
 * from there until the next manifest write invalidates it — the scan hot path never queries for it.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import {
  type AdmissionEvent,
  type AdmissionTicketType,
  defaultZoneOf,
  type PassageConfig,
  type ZoneId,
  type ZoneRule,
} from '../../shared/admission/index';
import type { ManifestEvent } from '../../shared/sync-protocol/index';
import type { StoreConnection } from './connection';
import * as schema from './schema';

/** The event as the decision needs it, cached in memory until the next manifest write. */
export interface EventContext {
  event: AdmissionEvent;
  name: string;
  ticketTypes: ReadonlyMap<number, AdmissionTicketType>;
  liveCopy: number;
  /** The change sequence the live copy has applied (stamped on every scan). */
  manifestSeq: number;
  /** The venue's gates by id (lower case) → name, so a refusal can name the door to use. */
  gateNames: ReadonlyMap<string, string>;
  /** The venue's zones in the organiser's order (issue 18); empty for a venue without zones. */
  zones: readonly ZoneRule[];
  /** The same zones by id (lower case). */
  zoneRules: ReadonlyMap<string, ZoneRule>;
  /** Where a record without zones enters: the first zone, or VENUE_ZONE (shared defaultZoneOf). */
  defaultZone: ZoneId;
  /** The venue's gates by id (lower case) → their configured passage (null sides = the defaults). */
  passages: ReadonlyMap<string, PassageConfig>;
  /** When the cloud checks everyone out, unix ms; null = never. */
  exitAllAt: number | null;
}

/** `ticket_types.gate_ids`: a JSON array of gate ids, NULL for every gate. */
const GateIds = z.array(z.string()).nullable();
const ZoneIds = z.array(z.string()).nullable();
/** `events.gates`: the venue's gates as the manifest listed them (a store before zones has no passages). */
const Gates = z.array(
  z.object({
    id: z.string(),
    name: z.string(),
    fromZoneId: z.string().nullable().default(null),
    toZoneId: z.string().nullable().default(null),
  }),
);
/** `events.zones`: the venue's zones in order. */
const Zones = z.array(
  z.object({
    id: z.string(),
    name: z.string(),
    capacity: z.number().nullable(),
    restricted: z.boolean(),
    reentry: z.boolean(),
  }),
);

export class EventContexts {
  readonly #connection: StoreConnection;
  /** null: known to have no installed copy (so a scan of an unknown event costs no query either). */
  readonly #cache = new Map<string, EventContext | null>();

  constructor(connection: StoreConnection) {
    this.#connection = connection;
  }

  /** Forgets every cached context; the next scan of each event reads it again. */
  invalidate(): void {
    this.#cache.clear();
  }

  /** The event and its rules, or undefined when this gate does not serve it (no installed copy). */
  eventContext(eventId: string): EventContext | undefined {
    const cached = this.#cache.get(eventId);
    if (cached !== undefined) return cached ?? undefined;
    const context = this.#read(eventId);
    this.#cache.set(eventId, context ?? null);
    return context;
  }

  #read(eventId: string): EventContext | undefined {
    const { db } = this.#connection;
    const { events, syncCursors, ticketTypes } = schema;
    const row = db
      .select({
        id: events.id,
        name: events.name,
        status: events.status,
        startsAt: events.startsAt,
        endsAt: events.endsAt,
        doorsOpenAt: events.doorsOpenAt,
        gates: events.gates,
        zones: events.zones,
        exitAllAt: events.exitAllAt,
        liveCopy: syncCursors.liveCopy,
        manifestSeq: syncCursors.after,
      })
      .from(events)
      .innerJoin(syncCursors, eq(syncCursors.eventId, events.id))
      .where(eq(events.id, eventId))
      .get();
    if (!row) return undefined;
    const types = new Map<number, AdmissionTicketType>();
    for (const t of db.select().from(ticketTypes).where(eq(ticketTypes.eventId, eventId)).all()) {
      const gateIds = GateIds.parse(t.gateIds === null ? null : JSON.parse(t.gateIds));
      const zoneIds = ZoneIds.parse(t.zoneIds === null ? null : JSON.parse(t.zoneIds));
      const holderCode = t.holderCode === 'required' ? 'required' : 'allowed';
      types.set(t.typeNo, { typeNo: t.typeNo, name: t.name, gateIds, zoneIds, holderCode });
    }
    const { name, liveCopy, manifestSeq, gates, zones: zonesJson, exitAllAt, ...event } = row;
    const venueGates = gates === null ? [] : Gates.parse(JSON.parse(gates));
    const gateNames = new Map(venueGates.map((g) => [g.id.toLowerCase(), g.name]));
    const passages = new Map(
      venueGates.map((g) => [g.id.toLowerCase(), { fromZoneId: g.fromZoneId, toZoneId: g.toZoneId }]),
    );
    const zones = zonesJson === null ? [] : Zones.parse(JSON.parse(zonesJson));
    return {
      event,
      name,
      ticketTypes: types,
      liveCopy,
      manifestSeq,
      gateNames,
      zones,
      zoneRules: new Map(zones.map((zone) => [zone.id, zone])),
      defaultZone: defaultZoneOf(zones),
      passages,
      exitAllAt,
    };
  }

  /** Writes the event and its ticket types as a page describes them; part of the caller's transaction. */
  write(event: ManifestEvent): void {
    const { db } = this.#connection;
    const id = event.id.toLowerCase();
    const values = {
      name: event.name,
      status: event.status,
      startsAt: event.startsAt,
      endsAt: event.endsAt,
      doorsOpenAt: event.doorsOpenAt,
      timezone: event.timezone,
      gates: JSON.stringify(
        event.gates.map((g) => ({
          id: g.id.toLowerCase(),
          name: g.name,
          fromZoneId: g.fromZoneId?.toLowerCase() ?? null,
          toZoneId: g.toZoneId?.toLowerCase() ?? null,
        })),
      ),
      // Zone ids lower case, like every id the gate compares (records, passages, ticket types).
      zones: JSON.stringify(event.zones.map((zone) => ({ ...zone, id: zone.id.toLowerCase() }))),
      exitAllAt: event.exitAllAt,
    };
    db.insert(schema.events)
      .values({ id, ...values })
      .onConflictDoUpdate({ target: schema.events.id, set: values })
      .run();
    db.delete(schema.ticketTypes).where(eq(schema.ticketTypes.eventId, id)).run();
    // One row per type number: of duplicates, the last one's rules and the first one's id (as ever).
    const byTypeNo = new Map(event.ticketTypes.map((t) => [t.typeNo, t]));
    for (const t of byTypeNo.values()) {
      const first = event.ticketTypes.find((x) => x.typeNo === t.typeNo) ?? t;
      db.insert(schema.ticketTypes)
        .values({
          eventId: id,
          typeNo: t.typeNo,
          id: first.id,
          name: t.name,
          gateIds: t.gateIds === null ? null : JSON.stringify(t.gateIds),
          zoneIds: t.zoneIds === null ? null : JSON.stringify(t.zoneIds.map((id) => id.toLowerCase())),
          holderCode: t.holderCode,
        })
        .run();
    }
  }
}
