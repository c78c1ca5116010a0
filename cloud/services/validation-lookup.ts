/**
 * What online validation (./validation.ts) reads from PostgreSQL to decide a scan, in the shapes
 * shared/admission decides on: the token keys of a gate's venue, the ticket (locked while deciding), and
 * the rest of the admission context — the event, the ticket type, the ticket's last admission and, at a
 * venue with zones, the zone rules of the scan (./validation-zones.ts).
 */
import { and, eq, gt, inArray } from 'drizzle-orm';
import type { AdmissionInput, KnownTicket } from '../../shared/admission';
import { lastAdmissionOf as lastAdmissionFromHistory } from '../../shared/admission/history';
import { type EventKey, type TicketClaims, TicketVerifier } from '../../shared/crypto';
import type { Transaction } from '../db/client';
import { events, tickets, ticketTypes } from '../db/schema';
import { admissionHistoryOf } from './admissions';
import type { ServiceContext } from './context';
import { venueZoneRules } from './event-peers';
import { type ScanPlace, zoneContextOf, zonedStateOf } from './validation-zones';

/** Tokens of events that ended longer ago than this are not looked up (WRONG_EVENT). */
const RECENT_EVENT_MS = 7 * 24 * 3600 * 1000;

export type EventRow = typeof events.$inferSelect;
export type TicketRow = typeof tickets.$inferSelect;

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

/** The ticket a token names, locked until the transaction ends: two doors admit it once. */
export async function lockTicket(
  tx: Transaction,
  tenantId: string,
  claims: TicketClaims,
): Promise<TicketRow | undefined> {
  const [ticket] = await tx
    .select()
    .from(tickets)
    .where(
      and(
        eq(tickets.eventId, claims.eventId),
        eq(tickets.serial, claims.ticketSerial),
        eq(tickets.tenantId, tenantId),
      ),
    )
    .for('update');
  return ticket;
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
  tx: Transaction,
  event: EventRow,
  ticket: TicketRow,
  typeNo: number,
  place: ScanPlace,
): Promise<
  Pick<AdmissionInput, 'event' | 'ticketType' | 'ticket' | 'lastAdmission' | 'zones'> & {
    /** The corrected time of the ticket's latest record: a new one must follow it (admissionTimeAfter). */
    latestAt: number | undefined;
    hasZones: boolean;
  }
> {
  const [type] = await tx
    .select()
    .from(ticketTypes)
    .where(and(eq(ticketTypes.eventId, event.id), eq(ticketTypes.typeNo, typeNo)));
  const rules = await venueZoneRules(tx, event.tenantId, event.venueId);
  // The ticket's state folded from its whole admission history — entries and exits at every gate
  // (uploaded), by online validation and manual check-in — with the function the gates fold theirs with
  // (shared/admission/history), so the cloud and the doors agree.
  const history = await admissionHistoryOf(
    tx,
    { tenantId: event.tenantId, eventId: event.id },
    ticket.serial,
  );
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
