/**
 * What online validation (./validation.ts) reads from PostgreSQL to decide a scan, in the shapes
 * shared/admission decides on: the token keys of a gate's venue, the ticket (locked while deciding), and
 * the rest of the admission context — the event, the ticket type and the ticket's last admission.
 */
import { and, desc, eq, gt, inArray } from 'drizzle-orm';
import type { AdmissionInput, KnownTicket, LastAdmission } from '../../shared/admission';
import { type EventKey, type TicketClaims, TicketVerifier } from '../../shared/crypto';
import type { Transaction } from '../db/client';
import { events, gates, scans, tickets, ticketTypes } from '../db/schema';
import type { ServiceContext } from './context';

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

/**
 * The ticket's last accepted scan in the cloud's own log of online validations — the one input of the
 * decision that says whether the ticket is inside. Admissions that gates upload (device_scans) are not
 * consulted yet: when they are, this is the one place that changes (from the ticket's admission history
 * to its state), and the decision stays as it is.
 */
export async function lastAdmissionOf(tx: Transaction, ticketId: string): Promise<LastAdmission | undefined> {
  const [last] = await tx
    .select({
      direction: scans.direction,
      scannedAt: scans.scannedAt,
      gateId: scans.gateId,
      gateName: gates.name,
    })
    .from(scans)
    .leftJoin(gates, eq(gates.id, scans.gateId))
    .where(and(eq(scans.ticketId, ticketId), eq(scans.accepted, 1)))
    .orderBy(desc(scans.scannedAt), desc(scans.id))
    .limit(1);
  return last
    ? {
        direction: last.direction,
        at: last.scannedAt.getTime(),
        gateId: last.gateId,
        gateName: last.gateName,
      }
    : undefined;
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

/** The event, ticket type, ticket and last admission of a known ticket, as the decision takes them. */
export async function admissionContextOf(
  tx: Transaction,
  event: EventRow,
  ticket: TicketRow,
  typeNo: number,
): Promise<Pick<AdmissionInput, 'event' | 'ticketType' | 'ticket' | 'lastAdmission'>> {
  const [type] = await tx
    .select()
    .from(ticketTypes)
    .where(and(eq(ticketTypes.eventId, event.id), eq(ticketTypes.typeNo, typeNo)));
  return {
    event: {
      id: event.id,
      status: event.status,
      doorsOpenAt: event.doorsOpenAt ? event.doorsOpenAt.getTime() : null,
      startsAt: event.startsAt.getTime(),
      endsAt: event.endsAt.getTime(),
    },
    ticketType: type ? { typeNo: type.typeNo, name: type.name, gateIds: type.gateIds ?? null } : undefined,
    ticket: knownTicketOf(ticket),
    lastAdmission: await lastAdmissionOf(tx, ticket.id),
  };
}
