/**
 * Purchases and refunds.
 *
 * Purchase (POST /reservations/:id/purchase, `Idempotency-Key` required):
 *  1. a hold that is no longer active is checked for a replay of its key (same key → the first order);
 *  2. serials are taken from a per-process block and tokens minted (and holder names sealed to them,
 *     ./purchase-tickets.ts) outside any transaction (CPU work must not hold locks);
 *  3. the provider is charged with an idempotency key derived from the client's key, so racing
 *     duplicates get the same charge;
 *  4. one statement (the `purchase_hold` function, migration 0001): `UPDATE reservations SET status =
 *     'purchased' WHERE status = 'active' AND expires_at > now` (the row lock serialises racing requests
 *     for the hold and excludes the expiry sweep; a loser finds it purchased and replays the winner's
 *     order), INSERT the order on UNIQUE (tenant_id, idempotency_key), insert the tickets, and append the
 *     change-log rows under the event lock, last. Seats held become tickets without touching the ticket
 *     type (`taken` counts both), so purchases never queue on the ticket-type row.
 * A purchase that cannot complete after charging (hold expired, event cancelled) voids its charge.
 *
 * `refundOrder` is idempotent (an already refunded order is a success) so a queue may run it twice. Who
 * may refund when, and its locks: see its comment and ./refund-rules.ts.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Transaction } from '../db/client';
import { parseRows } from '../db/rows';
import { events, type OrderStatus, orders, type RefundOverride, reservations, tickets } from '../db/schema';
import { Rollback, sqlState, transactionOutcome } from '../db/transaction';
import { type Failure, fail, type Result } from '../errors';
import type { Actor } from './actor';
import { appendTicketChanges } from './changes';
import type { ServiceContext } from './context';
import { enqueueMints } from './minting/tickets';
import { holderNamesOf, type PlannedTicket, planTickets } from './purchase-tickets';
import { lateRefundRule } from './refund-rules';
import { expireDueHold, ownHold, type ReservationRow } from './reservations';
import { returnSeats, seatsOfTickets } from './seats';
import { revocationChange, type TicketRow } from './tickets';

export interface OrderView {
  id: string;
  status: OrderStatus;
  totalCents: number;
  currency: string;
}

export interface PurchaseView {
  order: OrderView;
  tickets: { id: string; ticketTypeId: string; qr: string; holderName: string | null }[];
}

type OrderRow = typeof orders.$inferSelect;

function orderView(row: OrderRow): OrderView {
  return { id: row.id, status: row.status, totalCents: row.totalCents, currency: row.currency };
}

async function purchaseView(ctx: ServiceContext, actor: Actor, order: OrderRow): Promise<PurchaseView> {
  // Only tickets the caller still holds: a replay must not reveal the QR of a ticket given away since.
  const rows = await ctx.db
    .select({
      id: tickets.id,
      ticketTypeId: tickets.ticketTypeId,
      qr: tickets.qr,
      holderName: tickets.holderName,
    })
    .from(tickets)
    .where(and(eq(tickets.orderId, order.id), eq(tickets.ownerUserId, actor.userId)))
    .orderBy(tickets.serial);
  return { order: orderView(order), tickets: rows };
}

async function orderByKey(ctx: ServiceContext, tenantId: string, key: string): Promise<OrderRow | undefined> {
  const [row] = await ctx.db
    .select()
    .from(orders)
    .where(and(eq(orders.tenantId, tenantId), eq(orders.idempotencyKey, key)));
  return row;
}

async function replay(
  ctx: ServiceContext,
  actor: Actor,
  order: OrderRow,
  reservationId: string,
): Promise<Result<{ purchase: PurchaseView; replayed: boolean }>> {
  if (order.reservationId !== reservationId || order.userId !== actor.userId) {
    return fail('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different purchase');
  }
  ctx.business.purchase('replayed');
  return { ok: true, purchase: await purchaseView(ctx, actor, order), replayed: true };
}

function holdFailure(row: Pick<ReservationRow, 'status' | 'expiresAt'>, now: number): Failure | undefined {
  switch (row.status) {
    case 'purchased':
      return fail('RESERVATION_NOT_ACTIVE', 'the reservation was already purchased');
    case 'cancelled':
      return fail('EVENT_CANCELLED', 'the event is cancelled');
    case 'expired':
    case 'released':
      return fail('RESERVATION_EXPIRED', 'the reservation expired');
    case 'active':
      return row.expiresAt.getTime() <= now
        ? fail('RESERVATION_EXPIRED', 'the reservation expired')
        : undefined;
  }
}

type PurchaseOutcome = Result<{ purchase: PurchaseView; replayed: boolean }>;

/** Buys a held reservation. See the module header for the concurrency design. */
export async function purchaseReservation(
  ctx: ServiceContext,
  actor: Actor,
  reservationId: string,
  input: { paymentToken: string; idempotencyKey: string; holderNames?: (string | null)[] | undefined },
): Promise<PurchaseOutcome> {
  const key = input.idempotencyKey;
  const now = ctx.clock();
  const [found] = await ctx.db
    .select({ hold: reservations, keyVersion: events.keyVersion })
    .from(reservations)
    .innerJoin(events, eq(events.id, reservations.eventId))
    .where(ownHold(actor, reservationId));
  if (!found) return fail('NOT_FOUND', 'reservation not found');
  const { hold, keyVersion } = found;
  const early = holdFailure(hold, now);
  if (early) {
    // A hold that is no longer active may be the retry of a purchase that succeeded: replay it.
    const known = await orderByKey(ctx, actor.tenantId, key);
    if (known) return replay(ctx, actor, known, reservationId);
    return refuseHold(ctx, hold, early, now);
  }

  const holderNames = holderNamesOf(hold, input.holderNames);
  if (!holderNames.ok) return holderNames;
  const planned = await planTickets(ctx, hold, keyVersion, holderNames.names);
  // The provider deduplicates on this key: a retried or racing request with the same key gets the
  // same charge, never a second one.
  const charge = await ctx.payments.charge({
    amountCents: hold.totalCents,
    currency: hold.currency,
    paymentToken: input.paymentToken,
    idempotencyKey: `purchase:${actor.tenantId}:${key}`,
    reference: { tenantId: actor.tenantId, eventId: hold.eventId, reservationId: hold.id },
  });
  if (!charge.ok) {
    ctx.business.purchase(charge.code === 'PAYMENT_DECLINED' ? 'declined' : 'failed');
    return fail(charge.code, charge.message);
  }

  const orderId = ctx.newId();
  const outcome = await writePurchase(ctx, {
    reservationId: hold.id,
    tenantId: actor.tenantId,
    eventId: hold.eventId,
    userId: actor.userId,
    now: new Date(now),
    orderId,
    key,
    totalCents: hold.totalCents,
    currency: hold.currency,
    paymentId: charge.paymentId,
    tickets: planned,
  });
  if (outcome.ok) return completePurchase(ctx, actor, hold, orderId, planned);
  if ('lost' in outcome) return settleLostRace(ctx, actor, hold, key, charge.paymentId);
  await voidCharge(ctx, charge.paymentId, hold, key);
  return outcome;
}

/** The failure for a hold that cannot be bought; an active hold past its time is expired on the way. */
async function refuseHold(
  ctx: ServiceContext,
  hold: Pick<ReservationRow, 'id' | 'status'>,
  failure: Failure,
  now: number,
): Promise<Failure> {
  if (failure.code === 'RESERVATION_EXPIRED') {
    if (hold.status === 'active') await expireDueHold(ctx, hold.id, now);
    ctx.business.purchase('expired');
  }
  return failure;
}

/** After the purchase committed: queue delegated minting, count it, answer the order and its tickets. */
async function completePurchase(
  ctx: ServiceContext,
  actor: Actor,
  hold: ReservationRow,
  orderId: string,
  planned: PlannedTicket[],
): Promise<PurchaseOutcome> {
  // Delegated minting (SPEC section 8): purchase_hold marked the tickets pending; queue their jobs.
  // Never waits for or fails on minting (a job not queued is found by the pending-mint sweep).
  if (ctx.mintingEnabled) {
    await enqueueMints(
      ctx,
      planned.map((ticket) => ({ tenantId: actor.tenantId, ticketId: ticket.id, generation: 1 })),
    );
  }
  ctx.business.purchase('completed');
  return {
    ok: true,
    replayed: false,
    purchase: {
      order: { id: orderId, status: 'paid', totalCents: hold.totalCents, currency: hold.currency },
      tickets: planned.map((ticket) => ({
        id: ticket.id,
        ticketTypeId: ticket.ticketTypeId,
        qr: ticket.token.qr,
        holderName: ticket.holderName,
      })),
    },
  };
}

/** The write lost a race after charging: replay the order that won with our key, or void our charge. */
async function settleLostRace(
  ctx: ServiceContext,
  actor: Actor,
  hold: ReservationRow,
  key: string,
  paymentId: string,
): Promise<PurchaseOutcome> {
  const winner = await orderByKey(ctx, actor.tenantId, key);
  // The same key already made an order: a racing duplicate (same hold) or a reuse (another hold). Our
  // charge carried that key, so the provider handed back the first charge: nothing to void.
  if (winner) return replay(ctx, actor, winner, hold.id);
  // Another key bought or a sweep expired this hold first: our charge is ours alone, void it.
  await voidCharge(ctx, paymentId, hold, key);
  const [current] = await ctx.db
    .select({ status: reservations.status, expiresAt: reservations.expiresAt })
    .from(reservations)
    .where(eq(reservations.id, hold.id));
  const now = ctx.clock();
  const failure =
    (current && holdFailure(current, now)) ?? fail('RESERVATION_EXPIRED', 'the reservation expired');
  return refuseHold(ctx, { id: hold.id, status: current?.status ?? 'expired' }, failure, now);
}

type WriteOutcome = { ok: true } | { ok: false; lost: 'hold' | 'key' } | Failure;

/** What `purchase_hold` answers: 'ok', or why the hold could not be bought. */
const PurchaseHoldRow = z.object({ outcome: z.string() });

/**
 * The write half of a purchase: one call of the `purchase_hold` database function (migration 0001), in
 * its own implicit transaction. Holding the event row's lock only inside the database matters under load:
 * with BEGIN … COMMIT from here, every purchase of an event waited for the previous one's COMMIT to make
 * its way through this process's busy event loop.
 */
async function writePurchase(
  ctx: ServiceContext,
  input: {
    reservationId: string;
    tenantId: string;
    eventId: string;
    userId: string;
    now: Date;
    orderId: string;
    key: string;
    totalCents: number;
    currency: string;
    paymentId: string;
    tickets: PlannedTicket[];
  },
): Promise<WriteOutcome> {
  const column = <T>(pick: (ticket: (typeof input.tickets)[number]) => T) =>
    sql.param(input.tickets.map(pick));
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await ctx.db.execute(sql`
        select purchase_hold(
          ${input.reservationId}::uuid, ${input.tenantId}::text, ${input.eventId}::uuid, ${input.userId}::text,
          ${input.now.toISOString()}::timestamptz, ${input.orderId}::uuid, ${input.key}::text,
          ${input.totalCents}::int, ${input.currency}::text, ${input.paymentId}::text,
          ${column((t) => t.id)}::uuid[], ${column((t) => t.ticketTypeId)}::uuid[],
          ${column((t) => t.serial)}::bigint[], ${column((t) => t.typeNo)}::int[],
          ${column((t) => t.token.qr)}::text[], ${column((t) => t.token.digest)}::text[],
          ${ctx.mintingEnabled ? 'pending' : null}::text,
          ${column((t) => t.holderName)}::text[], ${column((t) => t.nameBox)}::text[]) as outcome`);
      const [row] = parseRows(PurchaseHoldRow, result);
      return row?.outcome === 'ok' ? { ok: true } : { ok: false, lost: 'hold' };
    } catch (error) {
      const state = sqlState(error);
      // TKKEY: the key made another order. 23505: a concurrent insert of the same key or hold won.
      if (state === 'TKKEY' || state === '23505') return { ok: false, lost: 'key' };
      if (state === 'TKEVT') return fail('EVENT_CANCELLED', 'the event is cancelled');
      if ((state === '40P01' || state === '40001') && attempt < 4) continue;
      throw error;
    }
  }
}

async function voidCharge(
  ctx: ServiceContext,
  paymentId: string,
  hold: ReservationRow,
  key: string,
): Promise<void> {
  await ctx.payments.refund({
    paymentId,
    amountCents: hold.totalCents,
    currency: hold.currency,
    idempotencyKey: `void:${hold.tenantId}:${key}`,
  });
}

/** What a refund answers. */
export interface RefundView {
  order: OrderView;
  revokedTickets: number;
  alreadyRefunded: boolean;
  /** The rule an admin's override set aside for this refund (also when answering a replay), or null. */
  override: RefundOverride | null;
}

/**
 * Refunds an order: money back through the provider, its valid tickets revoked (change-log rows), their
 * seats returned. Idempotent: refunding a refunded order succeeds with `alreadyRefunded`.
 *
 * With an `actor` (a person asking, not the cloud's own cancellation refunds):
 * - a customer may refund only their own order, and only while every ticket is still theirs;
 * - nobody refunds an order once the doors have opened (`doorsOpenAt`, or `startsAt` without one) or
 *   once any ticket of it has been admitted (./refund-rules.ts) — unless an admin sets `override` (with a
 *   reason): the refund then records which rule it set aside (`orders.refund_override`) and who
 *   (`orders.refunded_by`). `override` from anyone else is 403.
 *
 * Locks, in order: the order row, the order's ticket rows (id order), the event row last (change log).
 * The ticket rows are locked BEFORE the checks and the checks read the locked rows, so a transfer (which
 * locks its ticket row) or an online admission (which locks its ticket row) either committed before and
 * is seen, or waits and then finds the ticket revoked: never both a refund and a transfer.
 */
export async function refundOrder(
  ctx: ServiceContext,
  input: { tenantId: string; orderId: string; reason: string; actor?: Actor; override?: boolean },
): Promise<Result<RefundView>> {
  if (input.override && input.actor?.role !== 'admin') {
    return fail('FORBIDDEN', 'only an admin may override the refund rules');
  }
  const now = new Date(ctx.clock());
  const outcome = await transactionOutcome<RefundWrite, Failure>(ctx.db, async (tx) => {
    const order = await lockOrder(tx, input);
    if (order.status === 'refunded') {
      return { ok: true as const, order, revokedTickets: 0, alreadyRefunded: true };
    }
    const ticketsOfOrder = await lockTicketsOfOrder(tx, order.id);
    const override = input.actor
      ? await checkRefundRules(tx, { ...input, actor: input.actor, order, tickets: ticketsOfOrder, now })
      : undefined;

    // The order row stays locked across the provider call: a concurrent refund of the same order waits
    // and then sees `refunded`; the provider's idempotency key covers a crash between call and commit.
    const refund = await ctx.payments.refund({
      paymentId: order.paymentId,
      amountCents: order.totalCents,
      currency: order.currency,
      idempotencyKey: `refund:${order.tenantId}:${order.id}`,
    });
    if (!refund.ok) throw new Rollback(fail('PAYMENT_UNAVAILABLE', 'the payment provider is unavailable'));
    return writeRefund(tx, {
      order,
      refundId: refund.refundId,
      reason: input.reason,
      refundedBy: input.actor?.userId ?? null,
      override: override ?? null,
      now,
    });
  });
  if (!outcome.ok) {
    if (outcome.code === 'PAYMENT_UNAVAILABLE') ctx.business.refund('failed');
    return outcome;
  }
  ctx.business.refund(outcome.alreadyRefunded ? 'already_refunded' : 'completed');
  return {
    ok: true,
    order: orderView(outcome.order),
    revokedTickets: outcome.revokedTickets,
    alreadyRefunded: outcome.alreadyRefunded,
    override: outcome.order.refundOverride ?? null,
  };
}

type RefundWrite = { ok: true; order: OrderRow; revokedTickets: number; alreadyRefunded: boolean };

/** The order row, locked; a customer finds only their own (404 otherwise, like a missing one). */
async function lockOrder(
  tx: Transaction,
  input: { tenantId: string; orderId: string; actor?: Actor },
): Promise<OrderRow> {
  const customer = input.actor?.role === 'customer' ? input.actor : undefined;
  const [order] = await tx
    .select()
    .from(orders)
    .where(
      and(
        eq(orders.id, input.orderId),
        eq(orders.tenantId, input.tenantId),
        customer ? eq(orders.userId, customer.userId) : undefined,
      ),
    )
    .for('update');
  if (!order) throw new Rollback(fail('NOT_FOUND', 'order not found'));
  return order;
}

/** Every ticket of the order, locked in id order (the one order every multi-ticket lock here uses). */
function lockTicketsOfOrder(tx: Transaction, orderId: string): Promise<TicketRow[]> {
  return tx.select().from(tickets).where(eq(tickets.orderId, orderId)).orderBy(asc(tickets.id)).for('update');
}

/**
 * Whether `actor` may refund the order now: throws the refusal, or answers the rule an admin's override
 * set aside (undefined when no rule stood in the way).
 */
async function checkRefundRules(
  tx: Transaction,
  input: { actor: Actor; override?: boolean; order: OrderRow; tickets: TicketRow[]; now: Date },
): Promise<RefundOverride | undefined> {
  const { actor, order } = input;
  if (actor.role === 'customer' && input.tickets.some((ticket) => ticket.ownerUserId !== actor.userId)) {
    throw new Rollback(fail('ORDER_NOT_REFUNDABLE', 'a ticket of this order was transferred'));
  }
  const late = await lateRefundRule(tx, order, input.tickets, input.now);
  if (!late) return undefined;
  if (actor.role === 'admin' && input.override) return late.rule;
  const hint = actor.role === 'admin' ? ' (an admin may refund with {"override": true, "reason": …})' : '';
  throw new Rollback(fail('ORDER_NOT_REFUNDABLE', `${late.message}${hint}`));
}

/** Writes a refund: tickets revoked with their seats returned, the order marked, the change-log rows. */
async function writeRefund(
  tx: Transaction,
  input: {
    order: OrderRow;
    refundId: string;
    reason: string;
    refundedBy: string | null;
    override: RefundOverride | null;
    now: Date;
  },
): Promise<RefundWrite> {
  const { order, reason, now } = input;
  const revoked = await tx
    .update(tickets)
    .set({ status: 'revoked', revokedReason: reason, updatedAt: now })
    .where(and(eq(tickets.orderId, order.id), eq(tickets.status, 'valid')))
    .returning();
  await returnSeats(tx, seatsOfTickets(revoked));
  const [updated] = await tx
    .update(orders)
    .set({
      status: 'refunded',
      refundId: input.refundId,
      refundReason: reason,
      refundedAt: now,
      refundedBy: input.refundedBy,
      refundOverride: input.override,
    })
    .where(eq(orders.id, order.id))
    .returning();
  if (revoked.length > 0) {
    await appendTicketChanges(tx, {
      tenantId: order.tenantId,
      eventId: order.eventId,
      now,
      changes: revoked.map((ticket) => revocationChange(ticket, reason)),
    });
  }
  return { ok: true as const, order: updated!, revokedTickets: revoked.length, alreadyRefunded: false };
}
