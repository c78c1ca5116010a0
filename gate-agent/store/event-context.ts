/**
 * The events this gate holds a manifest copy of, as the decision needs them: the event's status and
 * times, its ticket types and the gates each may use, which copy is live and how far it has synced.
 * Written from manifest pages (`events`, `ticket_types`); read once per event into memory and served
 * from there until the next manifest write invalidates it — the scan hot path never queries for it.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { AdmissionEvent, AdmissionTicketType } from '../../shared/admission/index';
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
}

/** `ticket_types.gate_ids`: a JSON array of gate ids, NULL for every gate. */
const GateIds = z.array(z.string()).nullable();
/** `events.gates`: the venue's gates as the manifest listed them. */
const Gates = z.array(z.object({ id: z.string(), name: z.string() }));

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
      types.set(t.typeNo, { typeNo: t.typeNo, name: t.name, gateIds });
    }
    const { name, liveCopy, manifestSeq, gates, ...event } = row;
    const gateNames = new Map(
      (gates === null ? [] : Gates.parse(JSON.parse(gates))).map((g) => [g.id.toLowerCase(), g.name]),
    );
    return { event, name, ticketTypes: types, liveCopy, manifestSeq, gateNames };
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
      gates: JSON.stringify(event.gates.map((g) => ({ id: g.id.toLowerCase(), name: g.name }))),
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
        })
        .run();
    }
  }
}
