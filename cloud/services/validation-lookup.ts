/**
 * What online validation (./validation.ts) reads from PostgreSQL to decide a scan, in the shapes
 * shared/admission decides on: the token keys of a gate's venue, the ticket (locked while deciding), and
 * the rest of the admission context — the event, the ticket type, the ticket's last admission and, at a
 * venue with zones, the zone rules of the scan (./validation-zones.ts).
 *
 * Under purchase load every round trip waits its turn on a busy event loop, so a scan reads what it
 * needs in as few of them as it can (issue 19): the gate, its venue's events with their key versions and
 * its zone rules in ONE parallel hop on the scan pool (gateScanContext), then the ticket with its type —
 * read plainly beside its history (the common case), or locked in a transaction. The ticket, its type and
 * its history are read fresh by every scan, whichever process changed them; the gate's context is kept
 * for a moment per process (./scan-context-cache.ts says what that may leave stale, and for how long),
 * and the keyring keeps unwrapped event keys (immutable per version) and the trusted signing keys.
 */
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { AdmissionInput, KnownTicket } from '../../shared/admission';
import {
  type AdmissionRecord,
  lastAdmissionOf as lastAdmissionFromHistory,
} from '../../shared/admission/history';
import { type EventKey, type TicketClaims, TicketVerifier } from '../../shared/crypto';
import type { Executor, Transaction } from '../db/client';
import { eventKeys, events, gates, tickets, ticketTypes, venueZones } from '../db/schema';
import { admissionHistoryOf, admissionRecordOf, historyJsonOf, type StoredAdmission } from './admissions';
import type { ServiceContext } from './context';
import { venueZoneRules } from './event-peers';
import { type ScanPlace, zoneContextOf, zonedStateOf } from './validation-zones';

/** Tokens of events that ended longer ago than this are not looked up (WRONG_EVENT). */
const RECENT_EVENT_MS = 7 * 24 * 3600 * 1000;

export type EventRow = typeof events.$inferSelect;
export type TicketRow = typeof tickets.$inferSelect;
export type TicketTypeRow = typeof ticketTypes.$inferSelect;
export type GateRow = typeof gates.$inferSelect;
/** A zone rule row as venueZoneRules reads it. */
export type ZoneRuleRow = Awaited<ReturnType<typeof venueZoneRules>>[number];

/** The keys a scan at a gate is checked with, and the events they open. */
export interface VenueTokenKeys {
  verifier: TicketVerifier;
  /** The tenant's published or cancelled events at the gate's venue that ended at most a week ago. */
  events: EventRow[];
}

/** The trusted signing keys and the keys of every event a scan at this venue may be for. */
export async function venueTokenKeys(
  ctx: ServiceContext,
  tenantId: string,
  venueId: string,
  now: number,
): Promise<VenueTokenKeys> {
  const candidates = await ctx.db
    .select()
    .from(events)
    .where(
      and(
        eq(events.tenantId, tenantId),
        eq(events.venueId, venueId),
        inArray(events.status, ['published', 'cancelled']),
        gt(events.endsAt, new Date(now - RECENT_EVENT_MS)),
      ),
    );
  const eventKeys: EventKey[] = [];
  for (const event of candidates) eventKeys.push(...(await ctx.keyring.eventKeysOf(event.id)));
  const verifier = new TicketVerifier({ signingKeys: await ctx.keyring.trustedSigningKeys(now), eventKeys });
  return { verifier, events: candidates };
}

/** Everything a scan at a gate is decided in before its ticket is looked up. */
export interface GateScanContext {
  gate: GateRow;
  keys: VenueTokenKeys;
  /** The venue's zone rules, in venueZoneRules' order (none: a venue without zones). */
  rules: ZoneRuleRow[];
}

/**
 * The gate, the keys and events of its venue (as venueTokenKeys selects them) and its zone rules, read
 * fresh in one parallel hop on the scan pool; undefined when the tenant has no such gate.
 */
export async function gateScanContext(
  ctx: ServiceContext,
  tenantId: string,
  gateId: string,
  now: number,
): Promise<GateScanContext | undefined> {
  const db = ctx.scanDb ?? ctx.db;
  const ofGate = and(eq(gates.id, gateId), eq(gates.tenantId, tenantId));
  const gateVenue = db.select({ venueId: gates.venueId }).from(gates).where(ofGate);
  const [gateRows, candidates, rules, signingKeys] = await Promise.all([
    db.select().from(gates).where(ofGate),
    db
      .select({
        event: events,
        keyVersions: sql<
          number[] | null
        >`(select array_agg(k.key_version) from ${eventKeys} k where k.event_id = ${events.id})`,
      })
      .from(events)
      .where(
        and(
          eq(events.tenantId, tenantId),
          inArray(events.venueId, gateVenue),
          inArray(events.status, ['published', 'cancelled']),
          gt(events.endsAt, new Date(now - RECENT_EVENT_MS)),
        ),
      ),
    db
      .select({
        id: venueZones.id,
        name: venueZones.name,
        capacity: venueZones.capacity,
        restricted: venueZones.restricted,
        reentry: venueZones.reentry,
      })
      .from(venueZones)
      .where(and(eq(venueZones.tenantId, tenantId), inArray(venueZones.venueId, gateVenue)))
      .orderBy(asc(venueZones.position), asc(venueZones.id)),
    ctx.keyring.trustedSigningKeys(now),
  ]);
  const gate = gateRows[0];
  if (!gate) return undefined;
  const keys: EventKey[] = [];
  for (const { event, keyVersions } of candidates) {
    for (const version of keyVersions ?? []) {
      const key = await ctx.keyring.eventKey(event.id, Number(version));
      if (key) keys.push(key);
    }
  }
  const verifier = new TicketVerifier({ signingKeys, eventKeys: keys });
  return { gate, keys: { verifier, events: candidates.map((c) => c.event) }, rules };
}

/**
 * Whether a scan at the event's venue may be for this event — what venueTokenKeys selects, for a caller
 * that starts from the event rather than a token (the box office's manual check-in).
 */
export function isServedEvent(event: EventRow, now: number): boolean {
  return (
    (event.status === 'published' || event.status === 'cancelled') &&
    event.endsAt.getTime() > now - RECENT_EVENT_MS
  );
}

/** The ticket a token names: its event and serial, within the scanning tenant. */
function tokenTicket(tenantId: string, claims: TicketClaims) {
  return and(
    eq(tickets.eventId, claims.eventId),
    eq(tickets.serial, claims.ticketSerial),
    eq(tickets.tenantId, tenantId),
  );
}

/** The ticket type a token names, joined to its ticket (left: a token may name a type the event lacks). */
function tokenTicketType(claims: TicketClaims) {
  return and(eq(ticketTypes.eventId, tickets.eventId), eq(ticketTypes.typeNo, claims.ticketTypeNo));
}

/** The ticket a token names, locked until the transaction ends: two doors admit it once. */
export async function lockTicket(
  tx: Transaction,
  tenantId: string,
  claims: TicketClaims,
): Promise<TicketRow | undefined> {
  const [ticket] = await tx.select().from(tickets).where(tokenTicket(tenantId, claims)).for('update');
  return ticket;
}

/**
 * lockTicket, with the ticket type the token names read in the same statement (left joined: a token may
 * name a type the event does not have; null then).
 */
export async function lockTicketWithType(
  tx: Transaction,
  tenantId: string,
  claims: TicketClaims,
): Promise<{ ticket: TicketRow | undefined; type: TicketTypeRow | null }> {
  return ticketWithType(tx, tenantId, claims, { lock: true });
}

/**
 * The ticket a token names with its type, in one statement; `lock`: FOR UPDATE of the ticket (inside a
 * transaction), else a plain read whose ticket fields the writer checks again (./online-admission.ts).
 */
export async function ticketWithType(
  executor: Executor,
  tenantId: string,
  claims: TicketClaims,
  options: { lock: boolean },
): Promise<{ ticket: TicketRow | undefined; type: TicketTypeRow | null }> {
  const query = executor
    .select({ ticket: tickets, type: ticketTypes })
    .from(tickets)
    .leftJoin(ticketTypes, tokenTicketType(claims))
    .where(tokenTicket(tenantId, claims));
  const [row] = options.lock ? await query.for('update', { of: tickets }) : await query;
  return { ticket: row?.ticket, type: row?.type ?? null };
}

/**
 * The ticket with its type and its whole admission history in ONE statement, unlocked (online
 * validation's common case: one round trip, where a read of each would be two).
 */
export async function ticketWithHistory(
  executor: Executor,
  tenantId: string,
  claims: TicketClaims,
): Promise<{ ticket: TicketRow | undefined; type: TicketTypeRow | null; history: AdmissionRecord[] }> {
  const [row] = await executor
    .select({ ticket: tickets, type: ticketTypes, history: historyJsonOf(tickets) })
    .from(tickets)
    .leftJoin(ticketTypes, tokenTicketType(claims))
    .where(tokenTicket(tenantId, claims));
  const stored = (row?.history ?? []) as StoredAdmission[];
  return { ticket: row?.ticket, type: row?.type ?? null, history: stored.map(admissionRecordOf) };
}

/** The ticket as the decision knows a ticket. */
export function knownTicketOf(ticket: TicketRow): KnownTicket {
  return {
    serial: ticket.serial,
    typeNo: ticket.typeNo,
    generation: ticket.generation,
    status: ticket.status,
    digest: ticket.digest,
  };
}

/**
 * The event, ticket type, ticket, last admission and zone rules of a known ticket scanned at `place`, as
 * the decision takes them. `hasZones`: the venue has zones, so an accepted entry or exit records its move.
 */
export async function admissionContextOf(
  tx: Executor,
  event: EventRow,
  ticket: TicketRow,
  typeNo: number,
  place: ScanPlace,
  /** What the caller already read: the type (null: none), the venue's zone rules, the ticket's history. */
  known: {
    type?: TicketTypeRow | null;
    rules?: readonly ZoneRuleRow[];
    history?: readonly AdmissionRecord[];
  } = {},
): Promise<
  Pick<AdmissionInput, 'event' | 'ticketType' | 'ticket' | 'lastAdmission' | 'zones'> & {
    /** The corrected time of the ticket's latest record: a new one must follow it (admissionTimeAfter). */
    latestAt: number | undefined;
    hasZones: boolean;
  }
> {
  // What the caller did not read yet (one statement at a time: a transaction has one connection).
  const type =
    known.type !== undefined
      ? known.type
      : ((
          await tx
            .select()
            .from(ticketTypes)
            .where(and(eq(ticketTypes.eventId, event.id), eq(ticketTypes.typeNo, typeNo)))
        )[0] ?? null);
  const rules = known.rules ?? (await venueZoneRules(tx, event.tenantId, event.venueId));
  // The ticket's state folded from its whole admission history — entries and exits at every gate
  // (uploaded), by online validation and manual check-in — with the function the gates fold theirs with
  // (shared/admission/history), so the cloud and the doors agree. Read after the ticket's lock (the
  // caller's) was taken, so a racing scan's committed record is seen — or, on the fast path, read
  // without it and counted again by the writer under the lock.
  const history =
    known.history ??
    (await admissionHistoryOf(tx, { tenantId: event.tenantId, eventId: event.id }, ticket.serial));
  const state = zonedStateOf(history, rules);
  const zones = await zoneContextOf(tx, event, rules, state, place);
  return {
    event: {
      id: event.id,
      status: event.status,
      doorsOpenAt: event.doorsOpenAt ? event.doorsOpenAt.getTime() : null,
      startsAt: event.startsAt.getTime(),
      endsAt: event.endsAt.getTime(),
    },
    ticketType: type
      ? {
          typeNo: type.typeNo,
          name: type.name,
          gateIds: type.gateIds ?? null,
          zoneIds: type.zoneIds && type.zoneIds.length > 0 ? type.zoneIds : null,
          // `required`: a static code is HOLDER_CODE_REQUIRED (shared/admission decides it).
          holderCode: type.holderCode,
        }
      : undefined,
    ticket: knownTicketOf(ticket),
    lastAdmission: lastAdmissionFromHistory(state),
    latestAt: state.last?.at,
    ...(zones ? { zones } : {}),
    hasZones: rules.length > 0,
  };
}
