/**
 * What an organiser (and a customer, for their own order) reads about orders: one order with its tickets
 * and payment and refund facts, and an event's orders as a keyset-paged list (also walked page by page
 * for the CSV export). Read-only; no QR token is ever part of these views (a QR is a credential).
 */
import { and, asc, count, eq, inArray, type SQL } from 'drizzle-orm';
import { type OrderStatus, orders, type RefundOverride, tickets, ticketTypes } from '../../db/schema';
import { fail, type Result } from '../../errors';
import { type Actor, tenantScope } from '../actor';
import type { ServiceContext } from '../context';
import { keysetPage, type Page, type PageRequest } from '../pagination';
import { eventOfActor } from './scope';

/** An order as the organiser lists show it. */
export interface OrderSummary {
  id: string;
  eventId: string;
  customerUserId: string;
  status: OrderStatus;
  totalCents: number;
  currency: string;
  ticketCount: number;
  paymentId: string;
  createdAt: string;
  refundedAt: string | null;
  /** Who refunded (the customer or an admin); null for the cloud's own refunds (cancellation). */
  refundedBy: string | null;
  refundReason: string | null;
  refundOverride: RefundOverride | null;
}

/** A ticket of an order: who holds it now and whether it still admits. */
export interface OrderTicket {
  id: string;
  serial: number;
  ticketTypeId: string;
  typeNo: number;
  ticketTypeName: string;
  status: 'valid' | 'revoked';
  revokedReason: string | null;
  holderUserId: string;
  holderName: string | null;
  generation: number;
}

export interface OrderDetail extends OrderSummary {
  tickets: OrderTicket[];
}

type OrderRow = typeof orders.$inferSelect;

function summaryOf(row: OrderRow, ticketCount: number): OrderSummary {
  return {
    id: row.id,
    eventId: row.eventId,
    customerUserId: row.userId,
    status: row.status,
    totalCents: row.totalCents,
    currency: row.currency,
    ticketCount,
    paymentId: row.paymentId,
    createdAt: row.createdAt.toISOString(),
    refundedAt: row.refundedAt ? row.refundedAt.toISOString() : null,
    refundedBy: row.refundedBy,
    refundReason: row.refundReason,
    refundOverride: row.refundOverride ?? null,
  };
}

/**
 * One order: a customer reads only their own (in their tenant), an admin any of the tenant's, ops any.
 * Anything else is NOT_FOUND, like a missing order.
 */
export async function orderDetail(
  ctx: ServiceContext,
  actor: Actor,
  orderId: string,
): Promise<Result<{ order: OrderDetail }>> {
  const [row] = await ctx.db
    .select()
    .from(orders)
    .where(
      and(
        eq(orders.id, orderId),
        tenantScope(actor, orders.tenantId),
        actor.role === 'customer' ? eq(orders.userId, actor.userId) : undefined,
      ),
    );
  if (!row) return fail('NOT_FOUND', 'order not found');
  const ticketRows = await ctx.db
    .select({
      id: tickets.id,
      serial: tickets.serial,
      ticketTypeId: tickets.ticketTypeId,
      typeNo: tickets.typeNo,
      ticketTypeName: ticketTypes.name,
      status: tickets.status,
      revokedReason: tickets.revokedReason,
      holderUserId: tickets.ownerUserId,
      holderName: tickets.holderName,
      generation: tickets.generation,
    })
    .from(tickets)
    .innerJoin(ticketTypes, eq(ticketTypes.id, tickets.ticketTypeId))
    .where(and(eq(tickets.orderId, row.id), eq(tickets.tenantId, row.tenantId)))
    .orderBy(asc(tickets.serial));
  return { ok: true, order: { ...summaryOf(row, ticketRows.length), tickets: ticketRows } };
}

/** The filters of an event's order list. */
export interface OrderFilter {
  status?: OrderStatus | undefined;
}

/** Ticket counts of some orders, by order id (one grouped query per page). */
async function ticketCounts(ctx: ServiceContext, orderIds: string[]): Promise<Map<string, number>> {
  if (orderIds.length === 0) return new Map();
  const rows = await ctx.db
    .select({ orderId: tickets.orderId, n: count() })
    .from(tickets)
    .where(inArray(tickets.orderId, orderIds))
    .groupBy(tickets.orderId);
  return new Map(rows.map((r) => [r.orderId, r.n]));
}

/** A page of an event's orders, oldest first (ids are UUIDv7). */
export async function listEventOrders(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
  filter: OrderFilter,
  page: PageRequest,
): Promise<Result<{ page: Page<OrderSummary> }>> {
  const found = await eventOfActor(ctx, actor, eventId);
  if (!found.ok) return found;
  const where: SQL | undefined = and(
    eq(orders.eventId, eventId),
    eq(orders.tenantId, found.event.tenantId),
    filter.status ? eq(orders.status, filter.status) : undefined,
  );
  const rows = await keysetPage(ctx.db.select().from(orders).$dynamic(), orders.id, where, page, (r) => r);
  if (!rows.ok) return rows;
  const counts = await ticketCounts(
    ctx,
    rows.page.items.map((r) => r.id),
  );
  return {
    ok: true,
    page: {
      items: rows.page.items.map((r) => summaryOf(r, counts.get(r.id) ?? 0)),
      nextCursor: rows.page.nextCursor,
    },
  };
}
