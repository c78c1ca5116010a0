/**
 * Holds (reservations): seats set aside for a buyer for RESERVATION_TTL_SECONDS.
 *
 * No oversell, under any concurrency, rests on one conditional statement per ticket type:
 *
 *   UPDATE ticket_types SET taken = taken + $q
 *    WHERE id = $id AND tenant_id = $t AND event_id = $e AND taken + $q <= capacity
 *   RETURNING type_no, price_cents, currency
 *
 * (`taken` = seats in active holds + valid tickets). PostgreSQL re-checks the WHERE clause against the
 * latest committed row after waiting for a concurrent writer's lock, so two holds for the last seat cannot
 * both match; a CHECK constraint (taken <= capacity) backs it up. A one-type hold is that UPDATE and the
 * reservation INSERT in a single statement, so the hot ticket-type row is locked for one round trip only;
 * a multi-type hold runs the UPDATEs in one transaction, in ticket-type id order so two never deadlock.
 *
 * Expired holds give their seats back through `releaseExpiredHolds` (a periodic sweep, also run lazily
 * before availability is shown or a hold is refused).
 *
 * One customer may hold at most HOLD_LIMIT_PER_CUSTOMER tickets of an event at once (./hold-limit.ts):
 * the same statement (or transaction) first takes that customer's hold lock and counts what they hold,
 * before it touches any ticket-type row, so a customer's parallel requests cannot pass the cap together.
 */
import { and, asc, eq, inArray, lte, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor, Transaction } from '../db/client';
import { parseRows, sqlNumber } from '../db/rows';
import {
  events,
  type ReservationItem,
  type ReservationStatus,
  reservations,
  ticketTypes,
} from '../db/schema';
import { inTransaction, Rollback, transactionOutcome } from '../db/transaction';
import { type Failure, fail, type Result } from '../errors';
import type { Actor } from './actor';
import type { ServiceContext } from './context';
import { holdLimitFailure, lockHeldByCustomer, lockHeldByCustomerSql, withinHoldLimit } from './hold-limit';
import { returnSeats } from './seats';

export interface ReservationView {
  id: string;
  eventId: string;
  status: ReservationStatus;
  expiresAt: string;
  items: ReservationItem[];
  totalCents: number;
  currency: string;
}

export type ReservationRow = typeof reservations.$inferSelect;

export function reservationView(row: ReservationRow): ReservationView {
  return {
    id: row.id,
    eventId: row.eventId,
    status: row.status,
    expiresAt: row.expiresAt.toISOString(),
    items: row.items,
    totalCents: row.totalCents,
    currency: row.currency,
  };
}

const SWEEP_BATCH = 500;

/** The actor's own hold `reservationId` (holds belong to one buyer of one tenant). */
export function ownHold(actor: Actor, reservationId: string): SQL | undefined {
  return and(
    eq(reservations.id, reservationId),
    eq(reservations.tenantId, actor.tenantId),
    eq(reservations.userId, actor.userId),
  );
}

const HeldItems = z.array(
  z.object({
    ticketTypeId: z.string(),
    typeNo: z.number().int(),
    quantity: z.number().int(),
    unitPriceCents: z.number().int(),
  }),
);

/**
 * What the one-statement hold answers: always one row with the tickets the customer held before it
 * (`held`), and the hold's columns when it was made (null otherwise). Its items are jsonb (a value, or
 * its text through some drivers).
 */
const HeldRow = z.object({
  held: sqlNumber,
  items: z
    .union([z.string().transform((text): unknown => JSON.parse(text)), z.unknown()])
    .pipe(HeldItems.nullable()),
  total_cents: sqlNumber.nullable(),
  currency: z.string().nullable(),
});

/** Holds seats for the actor. 409 SOLD_OUT when any item does not fit. */
export async function createReservation(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
  input: { items: { ticketTypeId: string; quantity: number }[] },
): Promise<Result<{ reservation: ReservationView }>> {
  const now = ctx.clock();
  // One line per ticket type, in id order (the lock order).
  const quantities = new Map<string, number>();
  for (const item of input.items) {
    quantities.set(item.ticketTypeId, (quantities.get(item.ticketTypeId) ?? 0) + item.quantity);
  }
  const lines = [...quantities.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  let result = await tryHold(ctx, actor, eventId, lines, now);
  if (!result.ok) {
    // The hold statement only matches an event on sale; say precisely why it did not (an event of
    // another tenant must answer 404 like a missing one, before anything about its ticket types).
    const [event] = await ctx.db
      .select({ status: events.status, endsAt: events.endsAt })
      .from(events)
      .where(and(eq(events.id, eventId), eq(events.tenantId, actor.tenantId)));
    if (!event || event.status === 'draft') return fail('NOT_FOUND', 'event not found');
    if (event.status === 'cancelled') return fail('EVENT_CANCELLED', 'the event is cancelled');
    if (event.endsAt.getTime() <= now) return fail('EVENT_NOT_ON_SALE', 'the event is over');
  }
  if (!result.ok && result.code === 'SOLD_OUT') {
    // Seats may be sitting in holds that expired but were not swept yet: give them back and retry once.
    if ((await releaseExpiredHolds(ctx, { now, eventId })) > 0) {
      result = await tryHold(ctx, actor, eventId, lines, now);
    }
  }
  if (result.ok) {
    ctx.business.hold('created');
    scheduleExpiry(ctx, result.reservation);
  } else if (result.code === 'SOLD_OUT') ctx.business.hold('sold_out');
  else if (result.code === 'HOLD_LIMIT_REACHED') ctx.business.hold('limit_reached');
  return result;
}

/**
 * Queues the hold's own expiry job (jobId = hold id). Not awaited: the hold is already committed, and a
 * job that could not be queued (Redis down) is covered by the periodic sweep and the lazy release.
 */
function scheduleExpiry(ctx: ServiceContext, reservation: ReservationView): void {
  const delayMs = Math.max(0, Date.parse(reservation.expiresAt) - ctx.clock());
  ctx.jobs
    .enqueue('hold-expiry', { reservationId: reservation.id }, { jobId: reservation.id, delayMs })
    .catch(() => {
      // Redis unreachable: the periodic sweep (and the lazy release before a sold-out answer) returns
      // the seats instead.
    });
}

/** What one hold attempt writes besides its seats: the new hold's id, its time, and when it expires. */
interface HoldAttempt {
  id: string;
  eventId: string;
  now: number;
  expiresAt: Date;
}

/** One hold attempt: a one-type hold in a single statement, a multi-type hold in one transaction. */
function tryHold(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
  lines: [string, number][],
  now: number,
): Promise<Result<{ reservation: ReservationView }>> {
  const attempt = {
    id: ctx.newId(),
    eventId,
    now,
    expiresAt: new Date(now + ctx.reservationTtlSeconds * 1000),
  };
  const [only] = lines;
  return lines.length === 1 && only
    ? holdOneType(ctx, actor, attempt, only)
    : holdSeveralTypes(ctx, actor, attempt, lines);
}

/**
 * The hot path: the customer's hold lock and count, the conditional UPDATE and the hold's INSERT in one
 * statement (the ticket-type row is locked for one round trip only). `quota` runs first: the UPDATE's
 * condition needs its answer before any ticket-type row can be locked.
 */
async function holdOneType(
  ctx: ServiceContext,
  actor: Actor,
  { id, eventId, now, expiresAt }: HoldAttempt,
  [ticketTypeId, quantity]: [string, number],
): Promise<Result<{ reservation: ReservationView }>> {
  const limit = ctx.holdLimitPerCustomer;
  const result = await ctx.db.execute(sql`
    with quota as materialized (select ${lockHeldByCustomerSql(actor, eventId, now)} as held),
    taken as (
      update ticket_types set taken = taken + ${quantity}::int
       where id = ${ticketTypeId}::uuid and tenant_id = ${actor.tenantId}::text and event_id = ${eventId}::uuid
         and taken + ${quantity}::int <= capacity
         and (select held from quota) + ${quantity}::int <= ${limit}::int
         and exists (select 1 from events e where e.id = ${eventId}::uuid and e.status = 'published'
                       and e.ends_at > ${new Date(now).toISOString()}::timestamptz)
      returning id, type_no, price_cents, currency
    ),
    made as (
      insert into reservations
        (id, tenant_id, event_id, user_id, status, items, total_cents, currency, expires_at, created_at, updated_at)
      select ${id}::uuid, ${actor.tenantId}::text, ${eventId}::uuid, ${actor.userId}::text, 'active',
             jsonb_build_array(jsonb_build_object('ticketTypeId', id, 'typeNo', type_no,
               'quantity', ${quantity}::int, 'unitPriceCents', price_cents)),
             price_cents * ${quantity}::int, currency, ${expiresAt.toISOString()}::timestamptz,
             ${new Date(now).toISOString()}::timestamptz, ${new Date(now).toISOString()}::timestamptz
        from taken
      returning items, total_cents, currency
    )
    select quota.held, made.items, made.total_cents, made.currency from quota left join made on true`);
  const [row] = parseRows(HeldRow, result);
  if (!row?.items || row.total_cents === null || row.currency === null) {
    if (row && !withinHoldLimit(limit, row.held, quantity)) {
      return holdLimitFailure(limit, row.held, quantity);
    }
    return holdRefusal(ctx, actor, eventId, ticketTypeId);
  }
  return {
    ok: true,
    reservation: {
      id,
      eventId,
      status: 'active',
      expiresAt: expiresAt.toISOString(),
      items: row.items,
      totalCents: row.total_cents,
      currency: row.currency,
    },
  };
}

/**
 * Several ticket types: the customer's hold lock and count, then one conditional UPDATE per type, in id
 * order, and the INSERT, in one transaction.
 */
function holdSeveralTypes(
  ctx: ServiceContext,
  actor: Actor,
  { id, eventId, now, expiresAt }: HoldAttempt,
  lines: [string, number][],
): Promise<Result<{ reservation: ReservationView }>> {
  return transactionOutcome(ctx.db, async (tx) => {
    const [event] = await tx
      .select({ status: events.status, endsAt: events.endsAt })
      .from(events)
      .where(and(eq(events.id, eventId), eq(events.tenantId, actor.tenantId)));
    if (event?.status !== 'published' || event.endsAt.getTime() <= now) {
      throw new Rollback(fail('EVENT_NOT_ON_SALE', 'the event is not on sale'));
    }
    const requested = lines.reduce((sum, [, quantity]) => sum + quantity, 0);
    const held = await lockHeldByCustomer(tx, actor, eventId, now);
    if (!withinHoldLimit(ctx.holdLimitPerCustomer, held, requested)) {
      throw new Rollback(holdLimitFailure(ctx.holdLimitPerCustomer, held, requested));
    }
    const items: ReservationItem[] = [];
    let currency: string | undefined;
    let totalCents = 0;
    for (const [ticketTypeId, quantity] of lines) {
      const [held] = await tx
        .update(ticketTypes)
        .set({ taken: sql`${ticketTypes.taken} + ${quantity}` })
        .where(
          and(
            eq(ticketTypes.id, ticketTypeId),
            eq(ticketTypes.tenantId, actor.tenantId),
            eq(ticketTypes.eventId, eventId),
            sql`${ticketTypes.taken} + ${quantity} <= ${ticketTypes.capacity}`,
          ),
        )
        .returning({
          typeNo: ticketTypes.typeNo,
          priceCents: ticketTypes.priceCents,
          currency: ticketTypes.currency,
        });
      if (!held) throw new Rollback(await holdRefusal(ctx, actor, eventId, ticketTypeId, tx));
      if (currency !== undefined && currency !== held.currency) {
        throw new Rollback(
          fail('VALIDATION_FAILED', 'items: ticket types in one hold must share a currency'),
        );
      }
      currency = held.currency;
      totalCents += held.priceCents * quantity;
      items.push({ ticketTypeId, typeNo: held.typeNo, quantity, unitPriceCents: held.priceCents });
    }
    const [row] = await tx
      .insert(reservations)
      .values({
        id,
        tenantId: actor.tenantId,
        eventId,
        userId: actor.userId,
        status: 'active',
        items,
        totalCents,
        currency: currency ?? 'EUR',
        expiresAt,
        createdAt: new Date(now),
        updatedAt: new Date(now),
      })
      .returning();
    return { ok: true as const, reservation: reservationView(row!) };
  });
}

/** Why a conditional hold matched nothing: the type is not this event's, or there are not enough seats. */
async function holdRefusal(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
  ticketTypeId: string,
  executor: Executor = ctx.db,
): Promise<Failure> {
  const [exists] = await executor
    .select({ id: ticketTypes.id })
    .from(ticketTypes)
    .where(
      and(
        eq(ticketTypes.id, ticketTypeId),
        eq(ticketTypes.tenantId, actor.tenantId),
        eq(ticketTypes.eventId, eventId),
      ),
    );
  return exists
    ? fail('SOLD_OUT', 'not enough tickets left')
    : fail('VALIDATION_FAILED', 'items: unknown ticket type for this event');
}

/**
 * Releases the actor's own active hold at once (DELETE /reservations/:id). Releasing a hold that already
 * ended is a no-op; a purchased one answers RESERVATION_NOT_ACTIVE.
 */
export async function releaseReservation(
  ctx: ServiceContext,
  actor: Actor,
  reservationId: string,
): Promise<Result<object>> {
  const now = new Date(ctx.clock());
  return transactionOutcome(ctx.db, async (tx) => {
    const [released] = await tx
      .update(reservations)
      .set({ status: 'released', updatedAt: now })
      .where(and(ownHold(actor, reservationId), eq(reservations.status, 'active')))
      .returning({ items: reservations.items });
    if (released) {
      await returnSeats(tx, released.items);
      ctx.business.hold('released');
      return { ok: true as const };
    }
    const [existing] = await tx
      .select({ status: reservations.status })
      .from(reservations)
      .where(ownHold(actor, reservationId));
    if (!existing) throw new Rollback(fail('NOT_FOUND', 'reservation not found'));
    if (existing.status === 'purchased') {
      throw new Rollback(fail('RESERVATION_NOT_ACTIVE', 'the reservation was already purchased'));
    }
    return { ok: true as const };
  });
}

/**
 * Expires every active hold whose time is up and returns its seats; returns how many holds it expired.
 * Safe to run from several processes at once: rows being purchased or swept elsewhere are skipped
 * (FOR UPDATE SKIP LOCKED) and re-examined on the next run.
 */
export async function releaseExpiredHolds(
  ctx: Pick<ServiceContext, 'db' | 'business'>,
  options: { now: number; eventId?: string },
): Promise<number> {
  const isDue = and(
    eq(reservations.status, 'active'),
    lte(reservations.expiresAt, new Date(options.now)),
    options.eventId ? eq(reservations.eventId, options.eventId) : undefined,
  );
  // Called lazily on reads: a plain indexed read first, so a read only opens a write transaction when
  // there is something to release.
  const [due] = await ctx.db.select({ id: reservations.id }).from(reservations).where(isDue).limit(1);
  if (!due) return 0;
  let total = 0;
  for (;;) {
    const expired = await transactionOutcome<ReservationItem[][], never>(ctx.db, async (tx) => {
      const due = tx
        .select({ id: reservations.id })
        .from(reservations)
        .where(isDue)
        .orderBy(asc(reservations.expiresAt))
        .limit(SWEEP_BATCH)
        .for('update', { skipLocked: true });
      const rows = await tx
        .update(reservations)
        .set({ status: 'expired', updatedAt: new Date(options.now) })
        .where(and(inArray(reservations.id, due), eq(reservations.status, 'active')))
        .returning({ items: reservations.items });
      const items = rows.map((row) => row.items);
      await returnSeats(tx, items.flat());
      return items;
    });
    total += expired.length;
    if (expired.length > 0) ctx.business.hold('expired', expired.length);
    if (expired.length < SWEEP_BATCH) return total;
  }
}

/** Marks the hold expired if it is active and due, and returns its seats: true when this call did. */
async function expireIfDue(tx: Transaction, reservationId: string, now: number): Promise<boolean> {
  const [expired] = await tx
    .update(reservations)
    .set({ status: 'expired', updatedAt: new Date(now) })
    .where(
      and(
        eq(reservations.id, reservationId),
        eq(reservations.status, 'active'),
        lte(reservations.expiresAt, new Date(now)),
      ),
    )
    .returning({ items: reservations.items });
  if (expired) await returnSeats(tx, expired.items);
  return expired !== undefined;
}

/**
 * Expires a hold a purchase found due (services/orders.ts), without counting it as a hold outcome: the
 * purchase counts itself as expired.
 */
export async function expireDueHold(ctx: Pick<ServiceContext, 'db'>, reservationId: string, now: number) {
  await inTransaction(ctx.db, (tx) => expireIfDue(tx, reservationId, now));
}

/**
 * Expires one hold if its time is up (the delayed hold-expiry job): 'expired' when this call returned
 * its seats, 'not-due' when it is still running (the job fired early — clocks of Redis and this process
 * differ), 'settled' when it was already purchased, released or expired (by the sweep, say). Exactly
 * once: the status change and the seat return are one transaction conditioned on status = 'active'.
 */
export async function expireHold(
  ctx: Pick<ServiceContext, 'db' | 'business'>,
  reservationId: string,
  now: number,
): Promise<'expired' | 'not-due' | 'settled'> {
  const outcome = await inTransaction(ctx.db, async (tx) => {
    if (await expireIfDue(tx, reservationId, now)) return 'expired' as const;
    const [row] = await tx
      .select({ status: reservations.status })
      .from(reservations)
      .where(eq(reservations.id, reservationId));
    return row?.status === 'active' ? ('not-due' as const) : ('settled' as const);
  });
  if (outcome === 'expired') ctx.business.hold('expired');
  return outcome;
}
