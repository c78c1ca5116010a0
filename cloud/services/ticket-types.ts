/**
 * Ticket types of an event: price, capacity, an optional gate restriction (e.g. the VIP door) and the
 * zones its holders may enter (issue 18; none listed = every zone that is not restricted) and whether only
 * the wallet's holder-bound rotating code admits (`holderCode`, issue 20). A change the gates' manifest
 * carries (a new type, a name, gates, zones, the holder-code policy) moves the event's change head, so
 * the gates pull it within seconds.
 * Capacity changes are one conditional UPDATE (`... WHERE taken <= $capacity`, taken = held + sold), so
 * a capacity can never be set below what is sold and held, whatever runs concurrently. `sold` is counted
 * from the tickets (index on ticket_type_id, status) rather than kept on the hot ticket-type row.
 */
import { and, asc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { events, gates, ticketTypes, venueZones } from '../db/schema';
import { Rollback, transactionOutcome } from '../db/transaction';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import type { ServiceContext } from './context';
import { announceEventChange, servedHeadBump } from './event-peers';
import { findEvent } from './events';
import { releaseExpiredHolds } from './reservations';

export interface TicketTypeView {
  id: string;
  eventId: string;
  name: string;
  priceCents: number;
  currency: string;
  capacity: number;
  sold: number;
  held: number;
  available: number;
  gates: string[] | null;
  /** Zones its holders may enter; null = every zone that is not restricted. */
  zones: string[] | null;
  /** `required`: only the wallet's rotating code admits; `allowed`: the static code too. */
  holderCode: 'allowed' | 'required';
}

export type TicketTypeRow = typeof ticketTypes.$inferSelect;

/** Valid tickets of a type: `sold`. */
// Written out in full: drizzle renders an interpolated column unqualified, which inside this subquery
// would bind to tickets.id.
const soldOf = sql<number>`(select count(*)::int from tickets k where k.ticket_type_id = "ticket_types"."id" and k.status = 'valid')`;

export function ticketTypeView(row: TicketTypeRow & { sold: number }): TicketTypeView {
  const sold = Number(row.sold);
  return {
    id: row.id,
    eventId: row.eventId,
    name: row.name,
    priceCents: row.priceCents,
    currency: row.currency,
    capacity: row.capacity,
    sold,
    held: row.taken - sold,
    available: Math.max(0, row.capacity - row.taken),
    gates: row.gateIds ?? null,
    zones: row.zoneIds && row.zoneIds.length > 0 ? row.zoneIds : null,
    holderCode: row.holderCode,
  };
}

export interface TicketTypeInput {
  name: string;
  priceCents: number;
  currency: string;
  capacity: number;
  gates?: string[] | undefined;
  zones?: string[] | undefined;
  holderCode?: 'allowed' | 'required' | undefined;
}

/** A list of ids as stored: distinct, lower-case, null for none (none = no restriction). */
function idList(ids: readonly string[] | null | undefined): string[] | null {
  return ids && ids.length > 0 ? [...new Set(ids.map((id) => id.toLowerCase()))] : null;
}

/** Checks that every gate id is a gate of the event's venue in this tenant. */
async function checkGates(
  ctx: ServiceContext,
  tenantId: string,
  venueId: string,
  gateIds: string[] | undefined,
): Promise<Result<object>> {
  if (!gateIds || gateIds.length === 0) return { ok: true };
  const unique = [...new Set(gateIds)];
  const found = await ctx.db
    .select({ id: gates.id })
    .from(gates)
    .where(and(eq(gates.tenantId, tenantId), eq(gates.venueId, venueId), inArray(gates.id, unique)));
  if (found.length !== unique.length) return fail('VALIDATION_FAILED', 'gates: unknown gate for this venue');
  return { ok: true };
}

/** Checks that every zone id is a zone of the event's venue in this tenant. */
async function checkZones(
  ctx: ServiceContext,
  tenantId: string,
  venueId: string,
  zoneIds: string[] | null | undefined,
): Promise<Result<object>> {
  const unique = idList(zoneIds);
  if (!unique) return { ok: true };
  const found = await ctx.db
    .select({ id: venueZones.id })
    .from(venueZones)
    .where(
      and(eq(venueZones.tenantId, tenantId), eq(venueZones.venueId, venueId), inArray(venueZones.id, unique)),
    );
  if (found.length !== unique.length) return fail('VALIDATION_FAILED', 'zones: unknown zone for this venue');
  return { ok: true };
}

/** Adds a ticket type to an event that is not cancelled; allocates its per-event `type_no`. */
export async function createTicketType(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
  input: TicketTypeInput,
): Promise<Result<{ ticketType: TicketTypeView }>> {
  const event = await findEvent(ctx, actor, eventId);
  if (!event) return fail('NOT_FOUND', 'event not found');
  const gateCheck = await checkGates(ctx, actor.tenantId, event.venueId, input.gates);
  if (!gateCheck.ok) return gateCheck;
  const zoneCheck = await checkZones(ctx, actor.tenantId, event.venueId, input.zones);
  if (!zoneCheck.ok) return zoneCheck;
  const now = new Date(ctx.clock());
  return transactionOutcome(ctx.db, async (tx) => {
    const [numbered] = await tx
      .update(events)
      // The new type is in the manifest: the gates of an event they serve hear of it (the head moves, no row).
      .set({ nextTypeNo: sql`${events.nextTypeNo} + 1`, changeSeq: servedHeadBump })
      .where(and(eq(events.id, eventId), eq(events.tenantId, actor.tenantId)))
      .returning({ typeNo: sql<number>`${events.nextTypeNo} - 1`, status: events.status });
    if (!numbered) throw new Rollback(fail('NOT_FOUND', 'event not found'));
    if (numbered.status === 'cancelled')
      throw new Rollback(fail('EVENT_CANCELLED', 'the event is cancelled'));
    if (numbered.typeNo > 65_535)
      throw new Rollback(fail('CONFLICT', 'an event has at most 65535 ticket types'));
    const [row] = await tx
      .insert(ticketTypes)
      .values({
        id: ctx.newId(),
        tenantId: actor.tenantId,
        eventId,
        typeNo: numbered.typeNo,
        name: input.name,
        priceCents: input.priceCents,
        currency: input.currency,
        capacity: input.capacity,
        gateIds: input.gates && input.gates.length > 0 ? [...new Set(input.gates)] : null,
        zoneIds: idList(input.zones),
        holderCode: input.holderCode ?? 'allowed',
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    return { ok: true as const, ticketType: ticketTypeView({ ...row!, sold: 0 }) };
  });
}

/** Changes a ticket type; capacity never goes below sold + held (409 CAPACITY_BELOW_SOLD). */
export async function updateTicketType(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
  typeId: string,
  patch: Partial<Omit<TicketTypeInput, 'gates' | 'zones'>> & {
    gates?: string[] | null | undefined;
    zones?: string[] | null | undefined;
  },
): Promise<Result<{ ticketType: TicketTypeView }>> {
  const event = await findEvent(ctx, actor, eventId);
  if (!event) return fail('NOT_FOUND', 'ticket type not found');
  if (event.status === 'cancelled') return fail('EVENT_CANCELLED', 'the event is cancelled');
  if (patch.gates) {
    const gateCheck = await checkGates(ctx, actor.tenantId, event.venueId, patch.gates);
    if (!gateCheck.ok) return gateCheck;
  }
  const zoneCheck = await checkZones(ctx, actor.tenantId, event.venueId, patch.zones);
  if (!zoneCheck.ok) return zoneCheck;
  const where = and(
    eq(ticketTypes.id, typeId),
    eq(ticketTypes.eventId, eventId),
    eq(ticketTypes.tenantId, actor.tenantId),
  );
  if (patch.capacity !== undefined) {
    // Expired holds still count in `held` until swept; sweep first so they do not block a reduction.
    await releaseExpiredHolds(ctx, { now: ctx.clock(), eventId });
  }
  const [row] = await ctx.db
    .update(ticketTypes)
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.priceCents !== undefined ? { priceCents: patch.priceCents } : {}),
      ...(patch.currency !== undefined ? { currency: patch.currency } : {}),
      ...(patch.capacity !== undefined ? { capacity: patch.capacity } : {}),
      ...(patch.gates !== undefined
        ? { gateIds: patch.gates && patch.gates.length > 0 ? [...new Set(patch.gates)] : null }
        : {}),
      ...(patch.zones !== undefined ? { zoneIds: idList(patch.zones) } : {}),
      ...(patch.holderCode !== undefined ? { holderCode: patch.holderCode } : {}),
      updatedAt: new Date(ctx.clock()),
    })
    .where(patch.capacity !== undefined ? and(where, sql`${ticketTypes.taken} <= ${patch.capacity}`) : where)
    .returning({ ...getTableColumns(ticketTypes), sold: soldOf });
  if (row) {
    const decidedBy = [patch.name, patch.gates, patch.zones, patch.holderCode];
    if (decidedBy.some((field) => field !== undefined)) {
      // What the gates decide by changed: move the head (after the change committed) so they pull now.
      await announceEventChange(ctx.db, { tenantId: actor.tenantId, eventId });
      ctx.changesCommitted?.();
    }
    return { ok: true, ticketType: ticketTypeView(row) };
  }
  const [exists] = await ctx.db.select({ id: ticketTypes.id }).from(ticketTypes).where(where);
  return exists
    ? fail('CAPACITY_BELOW_SOLD', 'capacity cannot go below the tickets sold and held')
    : fail('NOT_FOUND', 'ticket type not found');
}

/** Lists an event's ticket types with availability (expired holds are swept first). */
export async function listTicketTypes(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<Result<{ items: TicketTypeView[] }>> {
  const event = await findEvent(ctx, actor, eventId);
  if (!event) return fail('NOT_FOUND', 'event not found');
  await releaseExpiredHolds(ctx, { now: ctx.clock(), eventId });
  const rows = await ctx.db
    .select({ ...getTableColumns(ticketTypes), sold: soldOf })
    .from(ticketTypes)
    .where(and(eq(ticketTypes.eventId, eventId), eq(ticketTypes.tenantId, actor.tenantId)))
    .orderBy(asc(ticketTypes.typeNo));
  return { ok: true, items: rows.map(ticketTypeView) };
}
